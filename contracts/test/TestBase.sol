// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The cheatcodes the Solidity tests use (Hardhat 3 serves them at the usual address; no forge-std here).
interface Vm {
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
}

/// @title TestBase
/// @notice Minimal assertions for the Hardhat 3 Solidity tests under contracts/test.
abstract contract TestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @notice A failed assertion, with the test's message and the values compared.
    error AssertionFailed(string message, uint256 left, uint256 right);

    function assertTrue(bool cond, string memory message) internal pure {
        if (!cond) revert AssertionFailed(message, 1, 0);
    }

    function assertFalse(bool cond, string memory message) internal pure {
        if (cond) revert AssertionFailed(message, 0, 1);
    }

    function assertEq(uint256 a, uint256 b, string memory message) internal pure {
        if (a != b) revert AssertionFailed(message, a, b);
    }

    function assertEq(bytes32 a, bytes32 b, string memory message) internal pure {
        if (a != b) revert AssertionFailed(message, uint256(a), uint256(b));
    }

    /// @notice x mapped into [lo, hi] (inclusive), for fuzz inputs.
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + x % (hi - lo + 1);
    }
}
