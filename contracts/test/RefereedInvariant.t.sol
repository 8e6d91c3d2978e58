// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RefereedFixture} from "./RefereedFixture.t.sol";
import {Refereed} from "../Refereed.sol";
import {Clock, Side} from "../types/Clock.sol";

/// @title RefereedHandler
/// @notice The actor handler of the invariant test: three challengers, an honest job and a cheating job (fraud in its
/// second rollup), and every action of the protocol (open, trainer moves, challenger moves at random or on the fraud,
/// time passing, timeouts, resolutions, finalizations, withdrawals), plus a third, honest job that stops after its first rollup and
/// may be abandoned (`abandon`) while games on that rollup are open. After every action it checks the history properties that a
/// stateless invariant cannot see: a decided game never changes outcome, a resolved game stays resolved, moves and
/// verdicts move no money (only `resolve`, `finalizeRollup`, `abandonJob` and `withdraw` do, ADR 0010), clocks never
/// run backwards, a finalized rollup never changes state nor has a game the challenger won, a rollup's open-game
/// count is its unresolved games. A broken property is recorded in `violations` (and asserted by the test).
contract RefereedHandler is RefereedFixture {
    struct GameGhost {
        uint256 jobIndex;
        Refereed.GameStatus status;
        bool resolved;
        uint64 trainerLeft;
        uint64 challengerLeft;
        uint64 lastMove;
    }

    uint256[3] public jobIds; // [honest, cheating, honest that stops after one rollup]
    address[3] internal actors = [address(0xC1), address(0xC2), address(0xC3)];
    uint256[] public games;
    mapping(uint256 => GameGhost) public ghosts;
    mapping(uint256 => bool) public wasFinalized;
    uint256 public violations;
    string public lastViolation;
    uint256 public decisions;
    uint256 public settlements;
    uint256 public calls;
    bool public abandoned;

    /// @notice One-time setup (a later call by the fuzzer is a no-op).
    function init() external {
        if (address(refereed) != address(0)) return;
        _deploy();
        jobIds[0] = _job(false);
        jobIds[1] = _job(true);
        jobIds[2] = _jobSubmitting(false, 1);
    }

    function protocol() external view returns (Refereed) {
        return refereed;
    }

    // ── actions ──

    function open(uint256 actorSeed, uint256 jobSeed, uint256 rSeed) external {
        uint256 j = jobSeed % 3;
        uint256 r = _rollupsOf(j) == 1 ? 0 : rSeed % 2;
        uint256 rollupId = (jobIds[j] << 64) | r;
        if (refereed.rollupStatus(rollupId) != Refereed.RollupStatus.Pending) return;
        if (block.timestamp >= refereed.getRollup(rollupId).submittedAt + WINDOW) return;
        uint256 gameId = _open(jobIds[j], j == 1, r, actors[actorSeed % 3]);
        games.push(gameId);
        Refereed.Game memory g = refereed.getGame(gameId);
        ghosts[gameId] = GameGhost(j, g.status, false, g.clock.trainerLeft(), g.clock.challengerLeft(), g.clock.lastMove());
        _after();
    }

    function trainerMove(uint256 gameSeed) external {
        (bool ok, uint256 gameId) = _movable(gameSeed, Side.Trainer);
        if (!ok) return;
        bytes32 money = _money();
        _trainerMove(gameId, ghosts[gameId].jobIndex == 1);
        if (_money() != money) _violate("a move or verdict moved money");
        _after();
    }

    function challengerMove(uint256 gameSeed, uint256 iter, uint256 node, uint256 element, bool onFraud) external {
        (bool ok, uint256 gameId) = _movable(gameSeed, Side.Challenger);
        if (!ok) return;
        if (onFraud) (iter, node, element) = (1, 1, 1);
        bytes32 money = _money();
        _challengerMove(gameId, ghosts[gameId].jobIndex == 1, iter, node, element);
        if (_money() != money) _violate("a move moved money");
        _after();
    }

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + (secs % (CLOCK + 10 minutes)));
        _after();
    }

    /// @notice A long pause (up to three days): windows close, clocks run out, the third job's deadline passes.
    function warpLong(uint256 secs) external {
        vm.warp(block.timestamp + (secs % (3 days)));
        _after();
    }

    function timeout(uint256 gameSeed) external {
        if (games.length == 0) return;
        uint256 gameId = games[gameSeed % games.length];
        Refereed.Game memory g = refereed.getGame(gameId);
        if (g.status != Refereed.GameStatus.InProgress) return;
        if (!g.clock.expired(refereed.sideToMove(gameId), uint64(block.timestamp))) return;
        bytes32 money = _money();
        refereed.timeout(gameId);
        if (_money() != money) _violate("a timeout moved money");
        _after();
    }

    /// @notice Anyone resolves a game: a decided one settles once; any other call reverts and changes nothing.
    function resolve(uint256 gameSeed) external {
        if (games.length == 0) return;
        uint256 gameId = games[gameSeed % games.length];
        Refereed.Game memory g = refereed.getGame(gameId);
        bytes32 money = _money();
        try refereed.resolve(gameId) {
            if (g.status == Refereed.GameStatus.InProgress || g.resolved) _violate("resolve settled an undecided or resolved game");
            settlements++;
        } catch {
            if (g.status != Refereed.GameStatus.InProgress && !g.resolved) _violate("resolve refused a decided game");
            if (_money() != money) _violate("a refused resolve moved money");
        }
        _after();
    }

    function finalize(uint256 jobSeed, uint256 rSeed) external {
        uint256 j = jobSeed % 3;
        try refereed.finalizeRollup((jobIds[j] << 64) | (rSeed % _rollupsOf(j))) {} catch {}
        _after();
    }

    /// @notice Anyone abandons the third job (it succeeds once its submission deadline has passed).
    function abandon() external {
        try refereed.abandonJob(jobIds[2]) {
            abandoned = true;
        } catch {}
        _after();
    }

    function withdraw(uint256 actorSeed) external {
        address[5] memory who = [actors[0], actors[1], actors[2], TRAINER, REQUESTER];
        address a = who[actorSeed % 5];
        if (refereed.credits(a) == 0) return;
        uint256 before = a.balance;
        uint256 credit = refereed.credits(a);
        vm.prank(a);
        refereed.withdraw();
        if (a.balance - before != credit) _violate("withdraw paid something else than the credit");
        _after();
    }

    // ── history checks ──

    function _movable(uint256 gameSeed, Side side) private view returns (bool, uint256) {
        if (games.length == 0) return (false, 0);
        uint256 gameId = games[gameSeed % games.length];
        Refereed.Game memory g = refereed.getGame(gameId);
        if (g.status != Refereed.GameStatus.InProgress) return (false, 0);
        if (refereed.sideToMove(gameId) != side) return (false, 0);
        if (g.clock.expired(side, uint64(block.timestamp))) return (false, 0);
        return (true, gameId);
    }

    function _after() private {
        calls++;
        for (uint256 i; i < games.length; ++i) {
            uint256 id = games[i];
            GameGhost storage gh = ghosts[id];
            Refereed.Game memory g = refereed.getGame(id);
            if (gh.status != Refereed.GameStatus.InProgress && g.status != gh.status) {
                _violate("a decided game changed its outcome");
            }
            if (gh.resolved && !g.resolved) _violate("a resolved game became unresolved");
            if (g.resolved && g.status == Refereed.GameStatus.InProgress) _violate("a game resolved before its verdict");
            gh.resolved = g.resolved;
            if (gh.status == Refereed.GameStatus.InProgress && g.status != gh.status) decisions++;
            if (g.clock.trainerLeft() > gh.trainerLeft || g.clock.challengerLeft() > gh.challengerLeft) {
                _violate("a clock gained time");
            }
            if (g.clock.lastMove() < gh.lastMove) _violate("a clock ran backwards");
            (gh.status, gh.trainerLeft, gh.challengerLeft, gh.lastMove) =
                (g.status, g.clock.trainerLeft(), g.clock.challengerLeft(), g.clock.lastMove());
        }
        for (uint256 j; j < 3; ++j) {
            uint256 jobUnresolved;
            for (uint256 r; r < _rollupsOf(j); ++r) {
                uint256 rid = (jobIds[j] << 64) | r;
                Refereed.RollupStatus s = refereed.rollupStatus(rid);
                if (wasFinalized[rid] && s != Refereed.RollupStatus.Finalized) _violate("a finalized rollup changed");
                if (s == Refereed.RollupStatus.Finalized) wasFinalized[rid] = true;
                // the rollup counts exactly its unresolved games; none of its games was won by a challenger if final
                uint256 unresolved;
                for (uint256 i; i < games.length; ++i) {
                    Refereed.Game memory g = refereed.getGame(games[i]);
                    if (g.rollupId != rid) continue;
                    if (!g.resolved) unresolved++;
                    if (s == Refereed.RollupStatus.Finalized && g.status == Refereed.GameStatus.ChallengerWon) {
                        _violate("a rollup finalized with a game the challenger won");
                    }
                }
                if (refereed.getRollup(rid).openGames != unresolved) _violate("openGames is not the unresolved games");
                jobUnresolved += unresolved;
            }
            (uint32 jobOpen, uint64 awardTo) = refereed.jobGames(jobIds[j]);
            if (jobOpen != jobUnresolved) _violate("the job's openGames is not its unresolved games");
            // the award waits only while a game of the job is unresolved, and for a game the challenger won
            if (awardTo != 0 && (jobOpen == 0 || refereed.getGame(awardTo).status != Refereed.GameStatus.ChallengerWon)) {
                _violate("an award pending with no game to wait for, or for a game not won by its challenger");
            }
        }
    }

    /// @dev The three money buckets, packed for comparison.
    function _money() private view returns (bytes32) {
        return keccak256(abi.encode(refereed.totalEscrow(), refereed.totalBonds(), refereed.totalCredits()));
    }

    function _rollupsOf(uint256 j) private pure returns (uint256) {
        return j == 2 ? 1 : 2;
    }

    function _violate(string memory why) private {
        violations++;
        lastViolation = why;
    }
}

/// @notice Invariants over random sequences of handler actions.
contract RefereedInvariantTest {
    RefereedHandler internal handler;

    error InvariantBroken(string what, uint256 left, uint256 right);

    function setUp() public {
        handler = new RefereedHandler();
        handler.init();
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    /// @notice The contract's balance equals what it owes: escrowed rewards + locked bonds + credits.
    function invariant_balanceEqualsOwed() public view {
        Refereed r = handler.protocol();
        uint256 owed = r.totalEscrow() + r.totalBonds() + r.totalCredits();
        if (address(r).balance != owed) revert InvariantBroken("balance == owed", address(r).balance, owed);
    }

    /// @notice A game has at most one outcome; clocks never run backwards; a finalized rollup never changes;
    /// withdraw pays exactly the credit.
    function invariant_historyProperties() public view {
        if (handler.violations() != 0) revert InvariantBroken(handler.lastViolation(), handler.violations(), 0);
    }
}
