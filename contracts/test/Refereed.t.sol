// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RefereedFixture} from "./RefereedFixture.t.sol";
import {Refereed} from "../Refereed.sol";
import {LibMerkle} from "../lib/LibMerkle.sol";
import {LibTemplate} from "../lib/LibTemplate.sol";
import {LibWordTree} from "../lib/LibWordTree.sol";
import {LibFloat32} from "../lib/LibFloat32.sol";
import {Clock, LibClock, Side} from "../types/Clock.sol";
import {Phase, Position, LibPosition} from "../types/Position.sol";

/// @notice Game rules over real commitments (TinyTrace), with fuzzed paths, clocks and calldata.
contract RefereedTest is RefereedFixture {
    function setUp() public {
        _deploy();
    }

    function testFuzz_honestTrainer_winsWhateverPath(uint256 r, uint256 iter, uint256 node, uint256 element) public {
        uint256 jobId = _job(false);
        uint256 gameId = _open(jobId, false, r % 2, address(0xC1));
        Refereed.GameStatus s = _play(gameId, false, iter, node, element);
        _eq(uint256(s), uint256(Refereed.GameStatus.TrainerWon), "honest trainer wins");
        _eq(refereed.credits(TRAINER), CB, "trainer takes the challenger's bond");
        _solvent();
    }

    function testFuzz_cheatingTrainer_caughtOnTheFraud_winsElsewhere(uint256 iter, uint256 node, uint256 element) public {
        uint256 jobId = _job(true);
        uint256 it = iter % 3;
        uint256 nd = node % 2;
        uint256 el = element % 4;
        uint256 gameId = _open(jobId, true, 1, address(0xC1));
        Refereed.GameStatus s = _play(gameId, true, it, nd, el);
        bool onFraud = it == 1 && nd == 1 && el == 1;
        _eq(
            uint256(s),
            uint256(onFraud ? Refereed.GameStatus.ChallengerWon : Refereed.GameStatus.TrainerWon),
            "the verdict is local to the element"
        );
        if (onFraud) {
            _eq(refereed.credits(address(0xC1)), CB + TB / 2, "winner: its bond + half the trainer's bond");
            _eq(uint256(refereed.rollupStatus((jobId << 64) | 1)), uint256(Refereed.RollupStatus.Rejected), "rejected");
            _eq(refereed.credits(REQUESTER), REWARD / 2 + (TB - TB / 2), "requester: the second share + the rest of the bond");
        }
        _solvent();
    }

    function test_earliestOpenedWinner_takesTheTrainerBond() public {
        uint256 jobId = _job(true);
        uint256 a = _open(jobId, true, 1, address(0xA));
        uint256 b = _open(jobId, true, 1, address(0xB));
        _eq(uint256(_play(b, true, 1, 1, 1)), uint256(Refereed.GameStatus.ChallengerWon), "b wins first");
        _eq(refereed.credits(address(0xB)), CB, "b: its bond only, for now");
        _eq(uint256(_play(a, true, 1, 1, 1)), uint256(Refereed.GameStatus.ChallengerWon), "a wins later");
        _eq(refereed.credits(address(0xA)), CB + TB / 2, "a opened first: half the trainer's bond");
        _eq(refereed.credits(address(0xB)), CB, "b keeps its bond only");
        _eq(refereed.credits(REQUESTER), REWARD / 2 + (TB - TB / 2), "requester: refund + the other half");
        _eq(refereed.totalBonds(), 0, "no bond left");
        _solvent();
    }

    /// A cheating trainer that challenges itself first (from another address) to take its bond back through the
    /// earliest-opened rule still loses half of it to the requester.
    function test_selfChallenge_stillCostsHalfTheBond() public {
        address alias_ = address(0x5E1F);
        uint256 jobId = _job(true);
        uint256 self = _open(jobId, true, 1, alias_);
        uint256 real = _open(jobId, true, 1, address(0xC1));
        _eq(uint256(_play(real, true, 1, 1, 1)), uint256(Refereed.GameStatus.ChallengerWon), "the real challenger wins");
        // The trainer now loses its own game on purpose (it stops answering).
        vm.warp(block.timestamp + CLOCK + 1);
        refereed.timeout(self);
        _eq(uint256(refereed.getGame(self).status), uint256(Refereed.GameStatus.ChallengerWon), "the alias wins");
        refereed.resolve(self);
        uint256 recovered = refereed.credits(alias_) - CB;
        _eq(recovered, TB / 2, "the alias recovers half the bond");
        _eq(refereed.credits(REQUESTER), REWARD / 2 + (TB - TB / 2), "the requester gets the other half");
        _true(TB - recovered > 0, "self-challenging costs the trainer");
        _solvent();
    }

    function test_abandon_beforeTheDeadline_reverts_thenRefundsAndForfeits() public {
        uint256 jobId = _jobSubmitting(false, 1);
        uint64 submittedAt = refereed.getRollup(jobId << 64).submittedAt;
        uint256 deadline = uint256(submittedAt) + SUBMIT;
        vm.warp(deadline - 1);
        vm.expectRevert(abi.encodeWithSelector(Refereed.SubmissionNotLate.selector, jobId, deadline, uint64(deadline - 1)));
        refereed.abandonJob(jobId);
        vm.warp(deadline);
        refereed.abandonJob(jobId); // anyone may call
        (Refereed.JobStatus st,,,, uint64 deadFrom, bool slashed,,) = refereed.jobState(jobId);
        _eq(uint256(st), uint256(Refereed.JobStatus.Dead), "dead");
        _eq(deadFrom, 1, "from the missing rollup on");
        _true(slashed, "slashed");
        _eq(refereed.credits(REQUESTER), REWARD / 2 + TB, "requester: the unearned half + the whole bond");
        // The submitted rollup is unaffected: it finalizes and pays the trainer its share.
        refereed.finalizeRollup(jobId << 64);
        _eq(refereed.credits(TRAINER), REWARD / 2, "the trainer is paid for what it delivered");
        vm.expectRevert(abi.encodeWithSelector(Refereed.JobNotInStatus.selector, jobId, Refereed.JobStatus.Active, Refereed.JobStatus.Dead));
        refereed.abandonJob(jobId);
        _eq(refereed.totalBonds(), 0, "no bond left");
        _eq(refereed.totalEscrow(), 0, "no escrow left");
        _solvent();
    }

    function test_abandon_beforeAnySubmission_countsFromAcceptance() public {
        uint256 jobId = _jobSubmitting(false, 0);
        vm.warp(block.timestamp + SUBMIT);
        refereed.abandonJob(jobId);
        _eq(refereed.credits(REQUESTER), REWARD + TB, "requester: the whole reward + the bond");
        bytes32 state = trace.stateRoot();
        vm.expectRevert(abi.encodeWithSelector(Refereed.JobNotInStatus.selector, jobId, Refereed.JobStatus.Active, Refereed.JobStatus.Dead));
        vm.prank(TRAINER);
        refereed.submitRollup(jobId, state, state, state, "");
        _solvent();
    }

    function test_abandon_afterEverySubmission_reverts() public {
        uint256 jobId = _job(false);
        vm.warp(block.timestamp + 10 * SUBMIT);
        vm.expectRevert(abi.encodeWithSelector(Refereed.AllStepsSubmitted.selector, jobId, uint64(trace.STEPS())));
        refereed.abandonJob(jobId);
    }

    /// A trainer that stops submitting while a game is open: the job cannot be abandoned before the game is resolved,
    /// so the winner of a fraud proof is paid its half of the trainer's bond before the bond can go to the requester.
    function test_abandon_waitsForTheJobsGames_thenTheWinnerIsPaidFirst() public {
        uint256 jobId = _jobSubmitting(true, 2, 3); // a third rollup that never comes
        uint256 gameId = _open(jobId, true, 1, address(0xC1));
        vm.warp(block.timestamp + SUBMIT);
        vm.expectRevert(abi.encodeWithSelector(Refereed.JobGamesOpen.selector, jobId, uint32(1)));
        refereed.abandonJob(jobId);
        refereed.timeout(gameId); // the trainer, gone, ran out of time
        _eq(uint256(refereed.getGame(gameId).status), uint256(Refereed.GameStatus.ChallengerWon), "caught");
        // decided but not resolved: still refused
        vm.expectRevert(abi.encodeWithSelector(Refereed.JobGamesOpen.selector, jobId, uint32(1)));
        refereed.abandonJob(jobId);
        refereed.resolve(gameId);
        _eq(refereed.credits(address(0xC1)), CB + TB / 2, "the winner: its bond + half the trainer's bond");
        _eq(refereed.credits(REQUESTER), REWARD - REWARD / 3 + (TB - TB / 2), "refund of rollups 1 and 2 + the other half");
        vm.expectRevert(abi.encodeWithSelector(Refereed.JobNotInStatus.selector, jobId, Refereed.JobStatus.Active, Refereed.JobStatus.Dead));
        refereed.abandonJob(jobId);
        _eq(refereed.totalBonds(), 0, "no bond left");
        _solvent();
    }

    /// The same with a game the trainer wins (the challenger stops choosing): once it is resolved the job is
    /// abandoned as usual, and the trainer keeps the challenger's bond it won.
    function test_abandon_afterATrainerWonGameIsResolved() public {
        uint256 jobId = _jobSubmitting(false, 1, 3);
        uint256 gameId = _open(jobId, false, 0, address(0xC1));
        _trainerMove(gameId, false); // the rollup's reveal; the challenger never chooses
        vm.warp(block.timestamp + SUBMIT);
        vm.expectRevert(abi.encodeWithSelector(Refereed.JobGamesOpen.selector, jobId, uint32(1)));
        refereed.abandonJob(jobId);
        refereed.timeout(gameId);
        _eq(uint256(refereed.getGame(gameId).status), uint256(Refereed.GameStatus.TrainerWon), "the challenger ran out of time");
        refereed.resolve(gameId);
        _eq(refereed.credits(TRAINER), CB, "the trainer takes the challenger's bond");
        refereed.abandonJob(jobId);
        _eq(refereed.credits(REQUESTER), REWARD - REWARD / 3 + TB, "requester: the unearned reward + the whole bond");
        _solvent();
    }

    /// A caught trainer that, after another game's verdict and before its resolution, submits a fraudulent rollup,
    /// challenges it from another address, loses that game on purpose and resolves it first does not recover half its
    /// bond: the award goes to the job's earliest-opened challenger-won game, whatever the order of the resolutions.
    function test_selfChallengeOnALaterRollup_afterAVerdict_doesNotTakeTheAward() public {
        uint256 jobId = _jobSubmitting(true, 1);
        uint256 honest = _open(jobId, true, 0, address(0xC1));
        vm.warp(block.timestamp + CLOCK + 1);
        refereed.timeout(honest); // the trainer lets the first game go: decided for the challenger, not resolved
        bytes32 state = trace.stateRoot();
        bytes32 root = trace.rollupRoot(true, 1);
        vm.prank(TRAINER);
        refereed.submitRollup(jobId, state, root, state, ""); // the job is still active until the resolution
        address alias_ = address(0x5E1F);
        uint256 self = _open(jobId, true, 1, alias_);
        _eq(uint256(_play(self, true, 1, 1, 1)), uint256(Refereed.GameStatus.ChallengerWon), "the alias wins and resolves first");
        _eq(refereed.credits(alias_), CB, "the alias: its bond only, the award waits");
        (uint32 open, uint64 awardTo) = refereed.jobGames(jobId);
        _eq(open, 1, "the first game is unresolved");
        _eq(awardTo, self, "the award waits, for now for the alias's game");
        refereed.resolve(honest);
        _eq(refereed.credits(address(0xC1)), CB + TB / 2, "the earliest-opened winner takes the award");
        (open, awardTo) = refereed.jobGames(jobId);
        _eq(open + awardTo, 0, "no game open, no award pending");
    }

    /// A game opened early on a later, honest rollup (by anyone: a speculator, or the trainer's alias) that the trainer
    /// lets time out after the real challenger's verdict does not take the award: the first verdict's rollup does.
    function test_aLaterVerdictOnAVoidRollup_doesNotTakeTheAward() public {
        uint256 jobId = _jobSubmitting(true, 3, 3); // the fraud is in rollup 1
        uint256 s = _open(jobId, true, 2, address(0x5E1F));
        _trainerMove(s, true);
        _challengerMove(s, true, 0, 0, 0); // now the trainer's turn
        uint256 h = _open(jobId, true, 1, address(0xC1));
        _eq(uint256(_play(h, true, 1, 1, 1)), uint256(Refereed.GameStatus.ChallengerWon), "the real challenger wins");
        (uint32 open, uint64 awardTo) = refereed.jobGames(jobId);
        _eq(open, 1, "the early game is still open");
        _eq(awardTo, h, "the award waits for it, for the real challenger");
        vm.warp(block.timestamp + CLOCK + 1);
        refereed.timeout(s); // the trainer stops answering on the void rollup
        refereed.resolve(s);
        _eq(refereed.credits(address(0xC1)), CB + TB / 2, "the first verdict's winner takes the award");
        _eq(refereed.credits(address(0x5E1F)), CB, "the later verdict: its bond only");
        _eq(refereed.totalBonds(), 0, "no bond left");
        _solvent();
    }

    /// The award follows the first verdict even when a later verdict, on an earlier rollup, is resolved first.
    function test_awardFollowsTheFirstVerdict_notTheFirstResolution() public {
        uint256 jobId = _job(true);
        uint256 h = _open(jobId, true, 1, address(0xC1));
        _eq(uint256(_decide(h, true, 1, 1, 1)), uint256(Refereed.GameStatus.ChallengerWon), "the first verdict");
        vm.warp(block.timestamp + 10);
        address alias_ = address(0x5E1F);
        uint256 a = _open(jobId, true, 0, alias_); // an honest rollup, challenged after the verdict
        vm.warp(block.timestamp + CLOCK + 1);
        refereed.timeout(a); // the trainer lets it go
        refereed.resolve(a); // and resolves it first
        (, uint64 awardTo) = refereed.jobGames(jobId);
        _eq(awardTo, a, "for now");
        refereed.resolve(h);
        _eq(refereed.credits(address(0xC1)), CB + TB / 2, "the first verdict's winner takes the award");
        _eq(refereed.credits(alias_), CB, "the alias: its bond only");
        _eq(refereed.credits(REQUESTER), REWARD + (TB - TB / 2), "the whole reward back (rollup 0 rejected too) + half");
        _solvent();
        _eq(refereed.credits(alias_), CB, "the alias keeps its bond only");
        _eq(refereed.credits(REQUESTER), REWARD + (TB - TB / 2), "requester: the whole reward back + the other half");
        _eq(refereed.totalBonds(), 0, "no bond left");
        _solvent();
    }

    /// ADR 0010: the verdict moves no money and keeps the rollup's game open; `resolve` (anyone, once) settles it.
    function test_challengerWins_stepDecidesOnly_resolveSettles() public {
        uint256 jobId = _job(true);
        uint256 rollupId = (jobId << 64) | 1;
        uint256 gameId = _open(jobId, true, 1, address(0xC1));
        vm.expectRevert(abi.encodeWithSelector(Refereed.GameNotDecided.selector, gameId));
        refereed.resolve(gameId);
        uint256 bonds = refereed.totalBonds();
        uint256 escrow = refereed.totalEscrow();
        _eq(uint256(_decide(gameId, true, 1, 1, 1)), uint256(Refereed.GameStatus.ChallengerWon), "decided for the challenger");
        _eq(refereed.totalBonds(), bonds, "the verdict moves no bond");
        _eq(refereed.totalEscrow(), escrow, "nor escrow");
        _eq(refereed.credits(address(0xC1)), 0, "nor credits");
        _eq(uint256(refereed.rollupStatus(rollupId)), uint256(Refereed.RollupStatus.Pending), "the rollup waits for resolve");
        _eq(refereed.getRollup(rollupId).openGames, 1, "the decided game still counts");
        _true(!refereed.getGame(gameId).resolved, "not resolved");
        // A decided game takes no more moves, and its rollup cannot finalize before the game is resolved.
        vm.expectRevert(abi.encodeWithSelector(Refereed.GameNotInProgress.selector, gameId, Refereed.GameStatus.ChallengerWon));
        refereed.timeout(gameId);
        vm.warp(block.timestamp + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Refereed.GamesOpen.selector, rollupId, uint32(1)));
        refereed.finalizeRollup(rollupId);
        vm.prank(address(0xBEEF)); // anyone
        refereed.resolve(gameId);
        _true(refereed.getGame(gameId).resolved, "resolved");
        _eq(uint256(refereed.getGame(gameId).status), uint256(Refereed.GameStatus.ChallengerWon), "the outcome is kept");
        _eq(refereed.credits(address(0xC1)), CB + TB / 2, "winner: its bond + half the trainer's bond");
        _eq(uint256(refereed.rollupStatus(rollupId)), uint256(Refereed.RollupStatus.Rejected), "rejected at resolve");
        _eq(refereed.getRollup(rollupId).openGames, 0, "no game open");
        vm.expectRevert(abi.encodeWithSelector(Refereed.GameAlreadyResolved.selector, gameId));
        refereed.resolve(gameId);
        vm.expectRevert(abi.encodeWithSelector(Refereed.UnknownGame.selector, gameId + 1));
        refereed.resolve(gameId + 1);
        _solvent();
    }

    function test_trainerWins_rollupFinalizesOnlyAfterResolve() public {
        uint256 jobId = _job(false);
        uint256 rollupId = jobId << 64;
        uint256 gameId = _open(jobId, false, 0, address(0xC1));
        _eq(uint256(_decide(gameId, false, 2, 1, 3)), uint256(Refereed.GameStatus.TrainerWon), "the honest trainer wins");
        _eq(refereed.credits(TRAINER), 0, "the challenger's bond waits for resolve");
        vm.warp(block.timestamp + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Refereed.GamesOpen.selector, rollupId, uint32(1)));
        refereed.finalizeRollup(rollupId);
        // the next rollup waits too: rollups finalize in order
        vm.expectRevert(abi.encodeWithSelector(Refereed.PredecessorNotFinalized.selector, rollupId | 1, uint64(0)));
        refereed.finalizeRollup(rollupId | 1);
        refereed.resolve(gameId);
        _eq(refereed.credits(TRAINER), CB, "the trainer takes the challenger's bond");
        refereed.finalizeRollup(rollupId);
        _eq(refereed.credits(TRAINER), CB + REWARD / 2, "and its share");
        _solvent();
    }

    /// A game opened between another game's verdict and its resolution (the rollup is still pending) is played and
    /// settled like any other; the earliest-opened winner takes the pot whatever the order of the resolutions.
    function test_gameOpenedBetweenVerdictAndResolve_earliestOpenedStillTakesThePot() public {
        uint256 jobId = _job(true);
        uint256 a = _open(jobId, true, 1, address(0xA));
        _eq(uint256(_decide(a, true, 1, 1, 1)), uint256(Refereed.GameStatus.ChallengerWon), "a decided");
        uint256 b = _open(jobId, true, 1, address(0xB));
        _eq(uint256(_play(b, true, 1, 1, 1)), uint256(Refereed.GameStatus.ChallengerWon), "b decided and resolved");
        _eq(refereed.credits(address(0xB)), CB, "b: its bond only while a is unresolved");
        refereed.resolve(a);
        _eq(refereed.credits(address(0xA)), CB + TB / 2, "a opened first: half the trainer's bond");
        _eq(refereed.credits(REQUESTER), REWARD / 2 + (TB - TB / 2), "requester: refund + the other half");
        _eq(refereed.totalBonds(), 0, "no bond left");
        _solvent();
    }

    function testFuzz_reveal_anyFlippedBit_revertsAndChangesNothing(uint256 which, uint8 bit) public {
        uint256 jobId = _job(false);
        uint256 gameId = _open(jobId, false, 0, address(0xC1));
        bytes32[] memory nodes = trace.rollupReveal(false, 0); // [top, 3 leaves, padding]
        uint256 k = which % nodes.length;
        nodes[k] = nodes[k] ^ bytes32(uint256(1) << bit);
        Refereed.Game memory before = refereed.getGame(gameId);
        // The top is bound by the root, the children (padding included) by the top: any flipped bit breaks a fold.
        vm.expectPartialRevert(Refereed.RevealMismatch.selector);
        vm.prank(TRAINER);
        refereed.reveal(gameId, nodes);
        Refereed.Game memory afterG = refereed.getGame(gameId);
        _eq(uint256(afterG.current), uint256(before.current), "current unchanged");
        _eq(Position.unwrap(afterG.pos), Position.unwrap(before.pos), "position unchanged");
        _eq(uint256(Clock.unwrap(afterG.clock)), uint256(Clock.unwrap(before.clock)), "clock unchanged");
    }

    /// The challenger opens its chosen element through the chunk's word tree: any flipped bit of the word or of a
    /// sibling, or a wrong length, reverts and changes nothing; the right opening moves the game to the one-step, which
    /// then takes no leaf data and adjudicates.
    function testFuzz_chooseElement_opening_anyFlippedBit_reverts(uint256 which, uint8 bit, uint256 element) public {
        uint256 jobId = _job(false);
        uint256 gameId = _open(jobId, false, 0, address(0xC1));
        for (
            uint256 guard;
            guard < 40
                && (refereed.sideToMove(gameId) != Side.Challenger || refereed.getGame(gameId).pos.phase() != Phase.ChunkLeaf);
            ++guard
        ) {
            if (refereed.sideToMove(gameId) == Side.Trainer) _trainerMove(gameId, false);
            else _challengerMove(gameId, false, 1, 1, element);
        }
        Refereed.Game memory g = refereed.getGame(gameId);
        _eq(uint256(g.pos.phase()), uint256(Phase.ChunkLeaf), "at the element choice");
        uint256 offset = element % 4;
        bytes memory chunk = trace.nodeChunk(false, 0, g.iteration, g.nodeId);
        bytes memory opening = trace.elementOpening(chunk, offset);
        bytes memory bad = bytes.concat(opening);
        uint256 k = which % 192;
        bad[k] = bad[k] ^ bytes1(uint8(1) << (bit % 8));
        vm.startPrank(g.challenger);
        vm.expectPartialRevert(LibWordTree.WordOpeningMismatch.selector);
        refereed.chooseElement(gameId, offset, bad);
        vm.expectRevert(abi.encodeWithSelector(LibWordTree.WordOpeningLength.selector, chunk.length, 192));
        refereed.chooseElement(gameId, offset, chunk);
        _eq(uint256(keccak256(abi.encode(refereed.getGame(gameId)))), uint256(keccak256(abi.encode(g))), "game unchanged");
        refereed.chooseElement(gameId, offset, opening);
        vm.stopPrank();
        g = refereed.getGame(gameId);
        _eq(uint256(g.pos.phase()), uint256(Phase.ElementStep), "at the one-step");
        _eq(uint256(g.current), LibFloat32.elementAt(chunk, offset), "the game holds the element's bits");
        bytes memory proof = trace.stepProof(false, 0, g.iteration, g.nodeId);
        bytes32 state = trace.stateRoot();
        bytes32 root = trace.rollupRoot(false, 0);
        vm.expectRevert(abi.encodeWithSelector(Refereed.LeafLength.selector, opening.length, 0));
        vm.prank(TRAINER);
        refereed.step(gameId, state, root, state, opening, proof);
        vm.prank(TRAINER);
        refereed.step(gameId, state, root, state, "", proof);
        _eq(uint256(refereed.getGame(gameId).status), uint256(Refereed.GameStatus.TrainerWon), "honest element");
    }

    function testFuzz_choose_paddingOrOutOfRange_reverts(uint256 k) public {
        uint256 jobId = _job(false);
        uint256 gameId = _open(jobId, false, 0, address(0xC1));
        _trainerMove(gameId, false);
        k = 3 + (k % 16); // 3 is padding (3 iterations), 4.. are outside the 4 children
        bytes32[] memory sibs = new bytes32[](2);
        if (k == 3) {
            bytes32[4] memory h = trace.rollupLeaves(false, 0);
            sibs[0] = h[2];
            sibs[1] = LibMerkle.innerHash(h[0], h[1]);
            vm.expectRevert(abi.encodeWithSelector(Refereed.PaddingChosen.selector, 3, 3));
            vm.prank(address(0xC1));
            refereed.choose(gameId, k, bytes32(0), sibs);
        } else {
            vm.expectRevert(abi.encodeWithSelector(Refereed.ChildOutOfRange.selector, k, 4));
            vm.prank(address(0xC1));
            refereed.choose(gameId, k, bytes32(0), sibs);
        }
    }

    function testFuzz_clock_chargesOnlyTheMover(uint32 waitRaw) public {
        uint256 jobId = _job(false);
        uint256 gameId = _open(jobId, false, 0, address(0xC1));
        uint256 wait = uint256(waitRaw) % (2 * CLOCK);
        Refereed.Game memory g0 = refereed.getGame(gameId);
        vm.warp(block.timestamp + wait);
        bytes32[] memory nodes = trace.rollupReveal(false, 0);
        if (wait > CLOCK) {
            vm.expectRevert(abi.encodeWithSelector(Refereed.ClockExpired.selector, gameId, uint64(wait - CLOCK)));
            vm.prank(TRAINER);
            refereed.reveal(gameId, nodes);
            refereed.timeout(gameId);
            _eq(uint256(refereed.getGame(gameId).status), uint256(Refereed.GameStatus.ChallengerWon), "timed out");
        } else {
            vm.expectRevert(abi.encodeWithSelector(Refereed.ClockNotExpired.selector, gameId, Side.Trainer, uint64(CLOCK - wait)));
            refereed.timeout(gameId);
            vm.prank(TRAINER);
            refereed.reveal(gameId, nodes);
            Refereed.Game memory g1 = refereed.getGame(gameId);
            _eq(g1.clock.trainerLeft(), g0.clock.trainerLeft() - wait, "trainer charged the wait");
            _eq(g1.clock.challengerLeft(), g0.clock.challengerLeft(), "challenger not charged");
            _eq(g1.clock.lastMove(), g0.clock.lastMove() + wait, "last move stamped");
        }
        _solvent();
    }

    function test_finalize_paysShares_thenBond() public {
        uint256 jobId = _job(false);
        vm.warp(block.timestamp + WINDOW);
        refereed.finalizeRollup(jobId << 64);
        _eq(refereed.credits(TRAINER), REWARD / 2, "first share");
        vm.expectRevert(abi.encodeWithSelector(Refereed.RollupNotPending.selector, jobId << 64, Refereed.RollupStatus.Finalized));
        refereed.finalizeRollup(jobId << 64);
        refereed.finalizeRollup((jobId << 64) | 1);
        _eq(refereed.credits(TRAINER), REWARD + TB, "all shares and the bond");
        uint256 before = TRAINER.balance;
        vm.prank(TRAINER);
        refereed.withdraw();
        _eq(TRAINER.balance - before, REWARD + TB, "withdraw pays the credit");
        _eq(address(refereed).balance, 0, "nothing left");
        _solvent();
    }

    /// The credit slot keeps a 1-wei sentinel after a withdrawal (cheaper next credit): it is never paid or counted.
    function test_credits_afterWithdraw_startFromZeroAgain() public {
        uint256 a = _job(false);
        vm.warp(block.timestamp + WINDOW);
        refereed.finalizeRollup(a << 64);
        uint256 before = TRAINER.balance;
        vm.prank(TRAINER);
        refereed.withdraw();
        _eq(TRAINER.balance - before, REWARD / 2, "paid the first share, not the sentinel");
        _eq(refereed.credits(TRAINER), 0, "nothing left to withdraw");
        vm.expectRevert(abi.encodeWithSelector(Refereed.NothingToWithdraw.selector, TRAINER));
        vm.prank(TRAINER);
        refereed.withdraw();
        refereed.finalizeRollup((a << 64) | 1);
        _eq(refereed.credits(TRAINER), REWARD / 2 + TB, "the second share and the bond, exactly");
        before = TRAINER.balance;
        vm.prank(TRAINER);
        refereed.withdraw();
        _eq(TRAINER.balance - before, REWARD / 2 + TB, "paid exactly the credit");
        _eq(refereed.totalCredits(), 0, "no credit owed");
        _eq(address(refereed).balance, 0, "the sentinel is not money");
        _eq(refereed.credits(address(0xDEAD)), 0, "never credited");
        _solvent();
    }

    function test_keyRegisteredInTheAcceptBlock_isTooFresh() public {
        Refereed.JobParams memory p = _params();
        vm.prank(REQUESTER);
        uint256 jobId = refereed.createJob{value: REWARD}(p);
        address fresh = address(0xF5E5);
        vm.deal(fresh, 1 ether);
        vm.prank(fresh);
        keys.registerKey(PK, POP);
        vm.expectRevert(abi.encodeWithSelector(Refereed.KeyTooFresh.selector, fresh, uint64(block.number), uint64(block.number)));
        vm.prank(fresh);
        refereed.acceptJob{value: TB}(jobId);
    }

    // ── value types and the template decoder ──

    function testFuzz_clock_chargeNeverIncreasesBudgets(uint40 t, uint40 c, uint40 last, uint40 nowTs, bool trainer) public pure {
        Clock k = LibClock.pack(t, c, last);
        Side side = trainer ? Side.Trainer : Side.Challenger;
        (Clock n, uint64 over) = k.charge(side, nowTs);
        uint64 spent = nowTs > last ? nowTs - last : 0;
        if (spent > k.left(side)) {
            _eq(over, spent - k.left(side), "over by");
        } else {
            _eq(over, 0, "in budget");
            _eq(n.left(side), k.left(side) - spent, "charged");
            _eq(trainer ? n.challengerLeft() : n.trainerLeft(), trainer ? c : t, "other side untouched");
            _true(n.lastMove() >= last, "time never runs backwards");
        }
    }

    function testFuzz_clock_roundTrip(uint40 t, uint40 c, uint40 last) public pure {
        Clock k = LibClock.pack(t, c, last);
        _true(k.trainerLeft() == t && k.challengerLeft() == c && k.lastMove() == last, "fields");
    }

    function test_clock_fieldsOver40Bits_revert() public {
        uint64 big = uint64(1) << 40;
        vm.expectRevert(abi.encodeWithSelector(LibClock.ClockFieldTooLarge.selector, big));
        this.packClock(big, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(LibClock.ClockFieldTooLarge.selector, big));
        this.packClock(1, big, 1);
        vm.expectRevert(abi.encodeWithSelector(LibClock.ClockFieldTooLarge.selector, big));
        this.packClock(1, 1, big);
        _eq(this.packClock(big - 1, big - 1, big - 1).trainerLeft(), big - 1, "2^40 - 1 fits");
    }

    function packClock(uint64 t, uint64 c, uint64 last) external pure returns (Clock) {
        return LibClock.pack(t, c, last);
    }

    function test_position_fieldsOver48Bits_revert() public {
        uint256 big = uint256(1) << 48;
        vm.expectRevert(abi.encodeWithSelector(LibPosition.PositionFieldTooLarge.selector, big));
        this.packPosition(0, big);
        vm.expectRevert(abi.encodeWithSelector(LibPosition.PositionFieldTooLarge.selector, big));
        this.packPosition(big, big);
        _eq(this.packPosition(big - 1, big - 1).len(), big - 1, "2^48 - 1 fits");
    }

    function packPosition(uint256 index, uint256 len) external pure returns (Position) {
        return LibPosition.pack(Phase.TensorTree, 47, index, len, true, true);
    }

    function test_createJob_clocksRollupLengthAndDropoutLayersBeyondTheirFields_revert() public {
        Refereed.JobParams memory p = _params();
        p.trainerClock = uint64(1) << 40;
        vm.expectRevert(abi.encodeWithSelector(Refereed.JobParamInvalid.selector, Refereed.JobField.TrainerClock));
        refereed.createJob{value: REWARD}(p);
        p = _params();
        p.challengerClock = uint64(1) << 40;
        vm.expectRevert(abi.encodeWithSelector(Refereed.JobParamInvalid.selector, Refereed.JobField.ChallengerClock));
        refereed.createJob{value: REWARD}(p);
        p = _params();
        p.rollupSteps = uint64(1) << 48;
        vm.expectRevert(abi.encodeWithSelector(Refereed.JobParamInvalid.selector, Refereed.JobField.RollupSteps));
        refereed.createJob{value: REWARD}(p);
        p = _params();
        p.dropoutLayers = 1 << 16; // a journal index has 16 bits in the game's path slot
        vm.expectRevert(abi.encodeWithSelector(Refereed.JobParamInvalid.selector, Refereed.JobField.DropoutLayers));
        refereed.createJob{value: REWARD}(p);
        p = _params();
        p.trainerClock = (uint64(1) << 40) - 1;
        p.challengerClock = (uint64(1) << 40) - 1;
        p.rollupSteps = (uint64(1) << 48) - 1;
        p.dropoutLayers = (1 << 16) - 1;
        _true(refereed.createJob{value: REWARD}(p) > 0, "the largest values that fit are accepted");
    }

    function testFuzz_position_roundTrip(uint8 ph, uint8 h, uint48 index, uint48 len, bool atRoot, bool revealed) public pure {
        Phase phase = Phase(ph % 11);
        Position p = LibPosition.pack(phase, h, index, len, atRoot, revealed);
        _eq(uint256(p.phase()), uint256(phase), "phase");
        _eq(p.height(), h, "height");
        _eq(p.index(), index, "index");
        _eq(p.len(), len, "len");
        _true(p.atRoot() == atRoot && p.revealed() == revealed, "flags");
        _true(p.withRevealed().revealed() && p.withRevealed().index() == index, "withRevealed");
    }

    function testFuzz_template_decodeRoundTrip(uint16 op, uint32 numel, uint8 nIn, uint8 nAttr, uint256 seed) public pure {
        nIn = nIn % 9;
        nAttr = nAttr % 9;
        bytes memory d = abi.encodePacked(op, numel, uint32(seed), uint32(seed >> 32), nIn);
        for (uint256 i; i < nIn; ++i) {
            d = abi.encodePacked(d, uint32(seed >> (8 * i)));
        }
        d = abi.encodePacked(d, nAttr);
        for (uint256 i; i < nAttr; ++i) {
            d = abi.encodePacked(d, uint32(seed >> (16 * i)));
        }
        LibTemplate.Node memory n = LibTemplate.decode(d);
        _eq(n.opcode, op, "opcode");
        _eq(n.numel, numel, "numel");
        _eq(n.inputs.length, nIn, "inputs");
        _eq(n.attrs.length, nAttr, "attrs");
        for (uint256 i; i < nIn; ++i) {
            _eq(n.inputs[i], uint32(seed >> (8 * i)), "input");
        }
        for (uint256 i; i < nAttr; ++i) {
            _eq(n.attrs[i], uint32(seed >> (16 * i)), "attr");
        }
    }

    function test_template_trailingByte_reverts() public {
        bytes memory d = abi.encodePacked(trace.desc1(), uint8(0));
        vm.expectRevert(abi.encodeWithSelector(LibTemplate.TemplateDescriptorLength.selector, d.length, d.length - 1));
        this.decodeExternal(d);
    }

    function decodeExternal(bytes memory d) external pure returns (LibTemplate.Node memory) {
        return LibTemplate.decode(d);
    }

    function test_zeroSubtree_matchesHashing() public view {
        bytes32 z;
        for (uint256 t; t < 20; ++t) {
            _eq(uint256(refereed.zeroSubtree(t)), uint256(z), "zero subtree");
            z = LibMerkle.innerHash(z, z);
        }
    }
}
