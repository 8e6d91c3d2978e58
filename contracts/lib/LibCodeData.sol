// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title LibCodeData
/// @notice Immutable bytes kept as the code of a data contract: written once with CREATE, read back with EXTCODECOPY.
/// Reading n bytes costs one account access (2,600 gas cold) plus 3 gas per word, however many words: cheaper than
/// SLOADs from the second cold word on. The code starts with a STOP byte, so a call to the data contract does nothing.
/// @dev Used by Refereed for a job's step facts (docs/adr/0007-code-data-step-facts.md).
library LibCodeData {
    /// @notice CREATE of the data contract failed (out of gas, or the data is longer than a contract may be).
    error CodeDataWriteFailed(uint256 length);
    /// @notice The data contract's code is not the length the reader expects.
    error CodeDataLength(address pointer, uint256 got, uint256 want);

    /// @notice Deploys a contract whose code is 0x00 ‖ `data`; returns its address.
    function write(bytes memory data) internal returns (address pointer) {
        // Init code (10 bytes), then the code it returns:
        //   PUSH2 size, DUP1, PUSH1 10, RETURNDATASIZE (0), CODECOPY(0, 10, size), RETURNDATASIZE (0), RETURN(0, size)
        // size = data.length + 1 (the STOP byte).
        uint256 size = data.length + 1;
        if (size > type(uint16).max) revert CodeDataWriteFailed(data.length);
        bytes memory init = abi.encodePacked(hex"61", uint16(size), hex"80600a3d393df300", data);
        assembly ("memory-safe") {
            pointer := create(0, add(init, 0x20), mload(init))
        }
        if (pointer == address(0)) revert CodeDataWriteFailed(data.length);
    }

    /// @notice The `length` bytes `write` stored at `pointer` (reverts unless the code holds exactly that many).
    function read(address pointer, uint256 length) internal view returns (bytes memory data) {
        uint256 size = pointer.code.length;
        if (size != length + 1) revert CodeDataLength(pointer, size == 0 ? 0 : size - 1, length);
        data = new bytes(length);
        assembly ("memory-safe") {
            extcodecopy(pointer, add(data, 0x20), 1, length)
        }
    }
}
