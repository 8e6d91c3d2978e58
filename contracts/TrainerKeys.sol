// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibBlsVrf} from "./lib/LibBlsVrf.sol";

/// @title TrainerKeys
/// @notice The registry of trainers' BLS12-381 VRF public keys, each proven by a proof of possession (SPEC §4).
/// @dev A separate contract so that the protocol contract stays under the EIP-170 code size limit (the BLS code is
/// ~3 KB). A job binds the key registered when it is accepted, and requires that it was registered in an earlier
/// block (docs/GAME.md §1.2).
contract TrainerKeys {
    /// @notice A registered key: keccak256 of the 256-byte EIP-2537 G2 encoding, and the block of registration.
    struct Key {
        bytes32 keyHash;
        uint64 registeredBlock;
    }

    /// @notice The key registered by each address (zero if none).
    mapping(address => Key) public keyOf;

    event KeyRegistered(address indexed trainer, bytes32 keyHash, bytes pk);

    /// @notice Registers (or replaces) the caller's VRF public key.
    /// @param pk the public key in G2 (256-byte EIP-2537 encoding)
    /// @param pop the proof of possession in G1 (128 bytes): sk·H1'(pk) under the POP DST; reverts with LibBlsVrf's
    ///        named error (bad encoding, point at infinity, rejected point, mismatch) otherwise
    function registerKey(bytes calldata pk, bytes calldata pop) external {
        LibBlsVrf.verifyPopOrRevert(pk, pop);
        bytes32 keyHash = keccak256(pk);
        keyOf[msg.sender] = Key(keyHash, uint64(block.number));
        emit KeyRegistered(msg.sender, keyHash, pk);
    }
}
