// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./TestBase.sol";
import {LibCodeData} from "../lib/LibCodeData.sol";

/// @title LibCodeDataTest
/// @notice Bytes written as a data contract's code read back exactly; the code starts with STOP; bad lengths revert.
contract LibCodeDataTest is TestBase {
    function write(bytes memory data) external returns (address) {
        return LibCodeData.write(data);
    }

    function read(address pointer, uint256 length) external view returns (bytes memory) {
        return LibCodeData.read(pointer, length);
    }

    function testFuzz_roundTrip(bytes memory data) public {
        address p = LibCodeData.write(data);
        assertEq(p.code.length, data.length + 1, "code length");
        assertEq(uint8(p.code[0]), 0, "STOP first");
        assertEq(keccak256(LibCodeData.read(p, data.length)), keccak256(data), "bytes read back");
    }

    function test_roundTrip_stepFactsSize() public {
        bytes memory data = abi.encode(keccak256("a"), keccak256("b"), bytes32(0), type(uint256).max, uint64(7));
        address p = LibCodeData.write(data);
        assertEq(keccak256(LibCodeData.read(p, data.length)), keccak256(data), "bytes read back");
    }

    function test_callingTheDataContract_doesNothing() public {
        address p = LibCodeData.write(abi.encodePacked(hex"33ff")); // CALLER SELFDESTRUCT, were it ever executed
        (bool ok, bytes memory ret) = p.call("");
        assertTrue(ok, "a call stops at once");
        assertEq(ret.length, 0, "no return data");
        assertEq(p.code.length, 3, "code still there");
    }

    function test_read_wrongLength_reverts() public {
        address p = LibCodeData.write(hex"0102030405");
        vm.expectRevert(abi.encodeWithSelector(LibCodeData.CodeDataLength.selector, p, 5, 4));
        this.read(p, 4);
        vm.expectRevert(abi.encodeWithSelector(LibCodeData.CodeDataLength.selector, p, 5, 6));
        this.read(p, 6);
    }

    function test_read_noContract_reverts() public {
        address p = address(0xBEEF);
        vm.expectRevert(abi.encodeWithSelector(LibCodeData.CodeDataLength.selector, p, 0, 32));
        this.read(p, 32);
    }

    function test_write_tooLong_reverts() public {
        // the init code's PUSH2 holds the code size (the STOP byte + data); on a chain, EIP-170 stops CREATE far earlier
        vm.expectRevert(abi.encodeWithSelector(LibCodeData.CodeDataWriteFailed.selector, 65_535));
        this.write(new bytes(65_535));
    }
}
