// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Refereed} from "../Refereed.sol";
import {TrainerKeys} from "../TrainerKeys.sol";
import {OneStepVerifierV0} from "../OneStepVerifierV0.sol";
import {IOneStepVerifier} from "../interfaces/IOneStepVerifier.sol";
import {LibMerkle} from "../lib/LibMerkle.sol";
import {Phase, Position} from "../types/Position.sol";
import {Side} from "../types/Clock.sol";

/// @notice The cheatcodes the protocol tests use (served by Hardhat 3 at the usual address; no forge-std).
interface RefVm {
    function prank(address) external;
    function startPrank(address) external;
    function stopPrank() external;
    function deal(address, uint256) external;
    function warp(uint256) external;
    function roll(uint256) external;
    function expectRevert(bytes calldata) external;
    function expectRevert(bytes4) external;
    function expectPartialRevert(bytes4) external;
}

/// @title TinyTrace
/// @notice Real commitments for a two-node job, built on-chain with LibMerkle: node 0 = PARAM (4 elements, its own
/// update node, 1 parameter), node 1 = RELU(node 0); 2 rollups of 3 iterations (rollup tree depth 2 with one padding
/// leaf; graph depth 1; one-chunk tensors, depth 0). The `cheat` variant plants 3.0 in RELU element 1 of rollup 1,
/// iteration 1 (honest: relu(-1) = 0).
contract TinyTrace {
    uint256 public constant ITERS = 3;
    uint256 public constant STEPS = 6;
    uint256 public constant CHEAT_ROLLUP = 1;
    uint256 public constant CHEAT_ITER = 1;
    uint256 public constant CHEAT_ELEMENT = 1;

    bytes public paramChunk;
    bytes public reluChunk;
    bytes public reluCheat;
    bytes32 public paramRoot;
    bytes32 public reluRoot;
    bytes32 public reluCheatRoot;
    bytes32 public stateRoot;
    bytes public desc0;
    bytes public desc1;
    bytes32 public templateRoot;

    constructor() {
        paramChunk = abi.encodePacked(le(0x3f800000), le(0xbf800000), le(0x40000000), le(0x80000000)); // 1, -1, 2, -0
        reluChunk = abi.encodePacked(le(0x3f800000), le(0), le(0x40000000), le(0)); // 1, 0, 2, 0
        reluCheat = abi.encodePacked(le(0x3f800000), le(0x40400000), le(0x40000000), le(0)); // 1, 3, 2, 0
        paramRoot = tensorRoot(paramChunk);
        reluRoot = tensorRoot(reluChunk);
        reluCheatRoot = tensorRoot(reluCheat);
        stateRoot = LibMerkle.rootHash(0x15, 1, LibMerkle.leafHash(abi.encodePacked(paramRoot)));
        desc0 = abi.encodePacked(uint16(1), uint32(4), uint32(1), uint32(4), uint8(0), uint8(3), uint32(0), uint32(1), uint32(0));
        desc1 = abi.encodePacked(uint16(20), uint32(4), uint32(1), uint32(4), uint8(1), uint32(0), uint8(0));
        templateRoot = LibMerkle.rootHash(
            0x16, 2, LibMerkle.innerHash(LibMerkle.leafHash(desc0), LibMerkle.leafHash(desc1))
        );
    }

    function le(uint32 v) public pure returns (bytes4) {
        return bytes4(((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24));
    }

    function tensorRoot(bytes memory chunk) public view returns (bytes32) {
        return LibMerkle.rootHash(0x10, 4, LibMerkle.leafHash(chunk));
    }

    function tampered(bool cheat, uint256 r, uint256 i) public pure returns (bool) {
        return cheat && r == CHEAT_ROLLUP && i == CHEAT_ITER;
    }

    // ── graph ──
    function nodeRoot(bool cheat, uint256 r, uint256 i, uint256 node) public view returns (bytes32) {
        if (node == 0) return paramRoot;
        return tampered(cheat, r, i) ? reluCheatRoot : reluRoot;
    }

    function nodeChunk(bool cheat, uint256 r, uint256 i, uint256 node) public view returns (bytes memory) {
        if (node == 0) return paramChunk;
        return tampered(cheat, r, i) ? reluCheat : reluChunk;
    }

    function graphLeaf(bool cheat, uint256 r, uint256 i, uint256 node) public view returns (bytes32) {
        return LibMerkle.leafHash(abi.encodePacked(nodeRoot(cheat, r, i, node)));
    }

    function graphTop(bool cheat, uint256 r, uint256 i) public view returns (bytes32) {
        return LibMerkle.innerHash(graphLeaf(cheat, r, i, 0), graphLeaf(cheat, r, i, 1));
    }

    function graphRoot(bool cheat, uint256 r, uint256 i) public view returns (bytes32) {
        return LibMerkle.rootHash(0x11, 2, graphTop(cheat, r, i));
    }

    // ── rollup ──
    function iterationLeaf(bool cheat, uint256 r, uint256 i) public view returns (bytes memory) {
        return abi.encodePacked(uint64(r * ITERS + i), graphRoot(cheat, r, i), bytes32(0));
    }

    function rollupLeaves(bool cheat, uint256 r) public view returns (bytes32[4] memory h) {
        for (uint256 i; i < ITERS; ++i) {
            h[i] = LibMerkle.leafHash(iterationLeaf(cheat, r, i));
        }
    }

    function rollupTop(bool cheat, uint256 r) public view returns (bytes32) {
        bytes32[4] memory h = rollupLeaves(cheat, r);
        return LibMerkle.innerHash(LibMerkle.innerHash(h[0], h[1]), LibMerkle.innerHash(h[2], h[3]));
    }

    function rollupRoot(bool cheat, uint256 r) public view returns (bytes32) {
        return LibMerkle.rootHash(0x13, ITERS, rollupTop(cheat, r));
    }

    /// @notice Siblings (bottom-up) of iteration `i` in rollup `r`'s tree.
    function rollupProof(bool cheat, uint256 r, uint256 i) public view returns (bytes32[] memory p) {
        bytes32[4] memory h = rollupLeaves(cheat, r);
        p = new bytes32[](2);
        p[0] = h[i ^ 1];
        uint256 o = (i >> 1) ^ 1;
        p[1] = LibMerkle.innerHash(h[2 * o], h[2 * o + 1]);
    }

    // ── moves ──
    function rollupReveal(bool cheat, uint256 r) external view returns (bytes32[] memory n) {
        bytes32[4] memory h = rollupLeaves(cheat, r);
        n = new bytes32[](5);
        n[0] = rollupTop(cheat, r);
        for (uint256 i; i < 4; ++i) {
            n[i + 1] = h[i];
        }
    }

    function graphReveal(bool cheat, uint256 r, uint256 i) external view returns (bytes32[] memory n) {
        n = new bytes32[](3);
        n[0] = graphTop(cheat, r, i);
        n[1] = graphLeaf(cheat, r, i, 0);
        n[2] = graphLeaf(cheat, r, i, 1);
    }

    function templateProof(uint256 node) public view returns (bytes32[] memory p) {
        p = new bytes32[](1);
        p[0] = LibMerkle.leafHash(node == 0 ? desc1 : desc0);
    }

    function descriptor(uint256 node) external view returns (bytes memory) {
        return node == 0 ? desc0 : desc1;
    }

    function graphProof(bool cheat, uint256 r, uint256 i, uint256 node) public view returns (bytes32[] memory p) {
        p = new bytes32[](1);
        p[0] = graphLeaf(cheat, r, i, node ^ 1);
    }

    /// @notice The `proof` of `step` for node `node` in iteration `i` of rollup `r` (OneStepVerifierV0 layout).
    /// @notice The 192-byte opening of element `offset` of `chunk` through its word tree (SPEC §2.5), computed the
    /// plain way (an independent check of Refereed's assembly).
    function elementOpening(bytes memory chunk, uint256 offset) public pure returns (bytes memory) {
        bytes32[32] memory w;
        for (uint256 k; k < chunk.length; ++k) {
            w[k / 32] |= bytes32(uint256(uint8(chunk[k])) << (8 * (31 - (k % 32))));
        }
        uint256 idx = offset / 8;
        bytes memory out = abi.encodePacked(w[idx]);
        uint256 width = 32;
        while (width > 1) {
            out = abi.encodePacked(out, w[idx ^ 1]);
            for (uint256 k; k < width / 2; ++k) {
                w[k] = keccak256(abi.encodePacked(w[2 * k], w[2 * k + 1]));
            }
            width /= 2;
            idx /= 2;
        }
        return out;
    }

    function stepProof(bool cheat, uint256 r, uint256 i, uint256 node) external view returns (bytes memory) {
        bytes memory opProof;
        if (node == 1) {
            opProof = abi.encode(
                OneStepVerifierV0.InputOpening(
                    desc0, templateProof(0), paramRoot, graphProof(cheat, r, i, 0), paramChunk, new bytes32[](0)
                )
            );
        } else {
            bytes memory link = i == 0 ? _stateOpening() : _prevOpening(cheat, r, i - 1);
            bytes memory end = i == ITERS - 1 ? _stateOpening() : bytes("");
            opProof = abi.encode(link, end);
        }
        return abi.encode(node == 0 ? desc0 : desc1, templateProof(node), opProof);
    }

    function _stateOpening() private view returns (bytes memory) {
        return abi.encode(OneStepVerifierV0.StateOpening(paramRoot, new bytes32[](0), paramChunk, new bytes32[](0)));
    }

    function _prevOpening(bool cheat, uint256 r, uint256 prev) private view returns (bytes memory) {
        return abi.encode(
            OneStepVerifierV0.PrevOpening(
                iterationLeaf(cheat, r, prev),
                rollupProof(cheat, r, prev),
                paramRoot,
                graphProof(cheat, r, prev, 0),
                paramChunk,
                new bytes32[](0)
            )
        );
    }
}

/// @title RefereedFixture
/// @notice Deploys the protocol, registers a real BLS key (vectors/vrf.json, "valid key0"), and plays games over a
/// TinyTrace: an honest trainer answering every move from its commitment, challengers choosing at random or
/// following the planted fraud.
abstract contract RefereedFixture {
    RefVm internal constant vm = RefVm(address(uint160(uint256(keccak256("hevm cheat code")))));

    error AssertionFailed(string message, uint256 left, uint256 right);

    bytes internal constant PK = hex"0000000000000000000000000000000011031b176b20d81e2b5196fcda6543bca672598219088b5b313c0a0a38c2b29307d5811b8de57e5e8ed4627e0de385510000000000000000000000000000000002fb6d73190a3a4a2982ceaafc31a1e64fbcc4a67fb798b6be825b3c1289215db389177ea05ab5cdf05f2cbd9a7f02e80000000000000000000000000000000004be8d30c4e671f5e923bf7739f9fc52274e4617346c644e62b699738dbf585932aeef7c69c1de9dff28b1513ada6ef100000000000000000000000000000000137b3e2e3a01c359c49199c9883736e579af2b39c7e1dd49c0f0f7b9fe40dddea507a557ec76c05a9cefa05a93d21110";
    bytes internal constant POP = hex"0000000000000000000000000000000017811b816874b42414830b0c3ff2066e5f7e8f391c960de2686cde5a153db986ac09ce0759f0dd420623c34d16d40aca00000000000000000000000000000000026e977258fbe336687b8989c6d6440cd5ce55bbea0b48a720f768c3d1bd0a01b6798eb280193b40607b34914b251e8c";

    uint128 internal constant REWARD = 600_000;
    uint128 internal constant TB = 500_000;
    uint128 internal constant CB = 100_000;
    uint64 internal constant WINDOW = 1 days;
    uint64 internal constant CLOCK = 1 hours;
    uint64 internal constant SUBMIT = 2 days;

    address internal constant REQUESTER = address(0xA11CE0);
    address internal constant TRAINER = address(0xB0B0);

    Refereed internal refereed;
    TrainerKeys internal keys;
    OneStepVerifierV0 internal verifier;
    TinyTrace internal trace;

    function _deploy() internal {
        verifier = new OneStepVerifierV0();
        keys = new TrainerKeys();
        refereed = new Refereed(IOneStepVerifier(address(verifier)), keys);
        trace = new TinyTrace();
        vm.deal(REQUESTER, 100 ether);
        vm.deal(TRAINER, 100 ether);
        vm.prank(TRAINER);
        keys.registerKey(PK, POP);
        vm.roll(block.number + 1);
    }

    function _params() internal view returns (Refereed.JobParams memory p) {
        p.specHash = keccak256("tiny");
        p.templateRoot = trace.templateRoot();
        p.initialState = trace.stateRoot();
        p.nodeCount = 2;
        p.stepsTotal = uint64(trace.STEPS());
        p.rollupSteps = uint64(trace.ITERS());
        p.challengeWindow = WINDOW;
        p.trainerClock = CLOCK;
        p.challengerClock = CLOCK;
        p.submissionTimeout = SUBMIT;
        p.trainerBond = TB;
        p.challengerBond = CB;
    }

    /// @notice Creates and accepts a job, then submits both rollups (`cheat`: the second one carries the fraud).
    function _job(bool cheat) internal returns (uint256 jobId) {
        jobId = _jobSubmitting(cheat, 2);
    }

    /// @notice Creates and accepts a job of two rollups, then submits its first `rollups` rollups.
    function _jobSubmitting(bool cheat, uint256 rollups) internal returns (uint256 jobId) {
        jobId = _jobSubmitting(cheat, rollups, trace.STEPS() / trace.ITERS());
    }

    /// @notice Creates and accepts a job of `total` rollups, then submits its first `rollups` rollups (only rollup 1
    /// carries the fraud when `cheat`).
    function _jobSubmitting(bool cheat, uint256 rollups, uint256 total) internal returns (uint256 jobId) {
        Refereed.JobParams memory p = _params(); // (argument calls made before the prank)
        p.stepsTotal = uint64(total * trace.ITERS());
        vm.prank(REQUESTER);
        jobId = refereed.createJob{value: REWARD}(p);
        vm.prank(TRAINER);
        refereed.acceptJob{value: TB}(jobId);
        bytes32 state = trace.stateRoot();
        for (uint256 r; r < rollups; ++r) {
            bytes32 root = trace.rollupRoot(cheat, r); // (argument calls made before the prank)
            vm.prank(TRAINER);
            refereed.submitRollup(jobId, state, root, state, "");
        }
    }

    function _open(uint256 jobId, bool cheat, uint256 r, address who) internal returns (uint256 gameId) {
        vm.deal(who, who.balance + CB);
        bytes32 state = trace.stateRoot();
        bytes32 root = trace.rollupRoot(cheat, r);
        vm.prank(who);
        gameId = refereed.openGame{value: CB}((jobId << 64) | r, state, root, state);
    }

    /// @notice The trainer's move (from its commitment, honest or not), whatever is due.
    function _trainerMove(uint256 gameId, bool cheat) internal {
        Refereed.Game memory g = refereed.getGame(gameId);
        Phase ph = g.pos.phase();
        uint256 r = uint64(g.rollupId);
        uint256 it = g.iteration;
        vm.startPrank(TRAINER);
        if (ph == Phase.RollupTree) {
            refereed.reveal(gameId, trace.rollupReveal(cheat, r));
        } else if (ph == Phase.IterationLeaf) {
            refereed.revealIteration(gameId, trace.iterationLeaf(cheat, r, g.pos.index()));
        } else if (ph == Phase.GraphTree) {
            refereed.reveal(gameId, trace.graphReveal(cheat, r, it));
        } else if (ph == Phase.NodeLeaf) {
            uint256 j = g.pos.index();
            refereed.revealNode(gameId, trace.nodeRoot(cheat, r, it, j), trace.descriptor(j), trace.templateProof(j));
        } else if (ph == Phase.TensorTree) {
            bytes32[] memory top = new bytes32[](1);
            top[0] = LibMerkle.leafHash(trace.nodeChunk(cheat, r, it, g.nodeId));
            refereed.reveal(gameId, top);
        } else if (ph == Phase.ChunkLeaf) {
            refereed.revealChunk(gameId, trace.nodeChunk(cheat, r, it, g.nodeId));
        } else if (ph == Phase.ElementStep) {
            _step(gameId, cheat, g);
        } else {
            revert AssertionFailed("no trainer move in this phase", uint256(ph), 0);
        }
        vm.stopPrank();
    }

    function _step(uint256 gameId, bool cheat, Refereed.Game memory g) private {
        uint256 r = uint64(g.rollupId);
        bytes memory proof = trace.stepProof(cheat, r, g.iteration, g.nodeId);
        refereed.step(gameId, trace.stateRoot(), trace.rollupRoot(cheat, r), trace.stateRoot(), "", proof);
    }

    /// @notice The challenger's choice: iteration `iter`, node `node`, element `element` (each reduced to a real one).
    function _challengerMove(uint256 gameId, bool cheat, uint256 iter, uint256 node, uint256 element) internal {
        Refereed.Game memory g = refereed.getGame(gameId);
        Phase ph = g.pos.phase();
        uint256 r = uint64(g.rollupId);
        vm.startPrank(g.challenger);
        if (ph == Phase.RollupTree) {
            uint256 k = iter % trace.ITERS();
            bytes32[4] memory h = trace.rollupLeaves(cheat, r);
            refereed.choose(gameId, k, h[k], trace.rollupProof(cheat, r, k));
        } else if (ph == Phase.IterationLeaf) {
            refereed.chooseBranch(gameId, Refereed.Branch.Graph);
        } else if (ph == Phase.GraphTree) {
            uint256 k = node % 2;
            refereed.choose(gameId, k, trace.graphLeaf(cheat, r, g.iteration, k), trace.graphProof(cheat, r, g.iteration, k));
        } else if (ph == Phase.ChunkLeaf) {
            uint256 offset = element % 4;
            bytes memory chunk = trace.nodeChunk(cheat, r, g.iteration, g.nodeId);
            refereed.chooseElement(gameId, offset, trace.elementOpening(chunk, offset));
        } else {
            revert AssertionFailed("no challenger move in this phase", uint256(ph), 0);
        }
        vm.stopPrank();
    }

    /// @notice Plays a game to its verdict (the trainer answers, the challenger follows the given path).
    function _decide(uint256 gameId, bool cheat, uint256 iter, uint256 node, uint256 element)
        internal
        returns (Refereed.GameStatus)
    {
        for (uint256 guard; guard < 40; ++guard) {
            Refereed.Game memory g = refereed.getGame(gameId);
            if (g.status != Refereed.GameStatus.InProgress) return g.status;
            if (refereed.sideToMove(gameId) == Side.Trainer) _trainerMove(gameId, cheat);
            else _challengerMove(gameId, cheat, iter, node, element);
        }
        revert AssertionFailed("game did not end", gameId, 40);
    }

    /// @notice Plays a game to its verdict, then settles it (`resolve`, sent by a third party: anyone may).
    function _play(uint256 gameId, bool cheat, uint256 iter, uint256 node, uint256 element)
        internal
        returns (Refereed.GameStatus s)
    {
        s = _decide(gameId, cheat, iter, node, element);
        vm.prank(address(0xA11CE));
        refereed.resolve(gameId);
    }

    function _solvent() internal view {
        uint256 owed = refereed.totalEscrow() + refereed.totalBonds() + refereed.totalCredits();
        _eq(address(refereed).balance, owed, "balance == escrow + bonds + credits");
        _eq(refereed.totalOwed(), owed, "totalOwed");
    }

    function _eq(uint256 a, uint256 b, string memory message) internal pure {
        if (a != b) revert AssertionFailed(message, a, b);
    }

    function _true(bool c, string memory message) internal pure {
        if (!c) revert AssertionFailed(message, 1, 0);
    }
}
