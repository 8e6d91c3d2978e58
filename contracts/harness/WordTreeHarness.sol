// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibWordTree} from "../lib/LibWordTree.sol";

/// @notice Exposes LibWordTree to the vector tests (test/contracts/wordtree-vectors.test.ts).
contract WordTreeHarness {
    function root(bytes calldata chunk) external pure returns (bytes32) {
        return LibWordTree.root(chunk);
    }

    function openElement(bytes32 r, uint256 offset, bytes calldata opening) external pure returns (uint32) {
        return LibWordTree.openElement(r, offset, opening);
    }
}
