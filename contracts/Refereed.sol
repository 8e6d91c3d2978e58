// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {LibMerkle} from "./lib/LibMerkle.sol";
import {LibWordTree} from "./lib/LibWordTree.sol";
import {LibCodeData} from "./lib/LibCodeData.sol";
import {TrainerKeys} from "./TrainerKeys.sol";
import {LibTemplate} from "./lib/LibTemplate.sol";
import {IOneStepVerifier, StepContext} from "./interfaces/IOneStepVerifier.sol";
import {Clock, LibClock, Side} from "./types/Clock.sol";
import {Position, LibPosition, Phase} from "./types/Position.sol";

/// @title Refereed
/// @notice The stateful protocol of refereed training: jobs, trainers, rollups, the nested bisection game with chess
/// clocks, bonds, and pull payments. The one-step adjudication is delegated to a stateless `IOneStepVerifier` fixed
/// at construction. Normative description: docs/GAME.md.
/// @dev Money: every wei the contract holds is in exactly one of three buckets, `totalEscrow` (rewards not yet paid or
/// refunded), `totalBonds` (bonds locked in jobs and games) and `totalCredits` (owed to accounts, paid by `withdraw`).
/// INVARIANT (tested under fuzzing): address(this).balance == totalEscrow + totalBonds + totalCredits.
/// No ETH leaves the contract except in `withdraw` (checks-effects-interactions, nonReentrant).
contract Refereed is ReentrancyGuard, Multicall {
    using LibPosition for Phase;

    // =================================================================================================================
    // Types
    // =================================================================================================================

    /// @notice Lifecycle of a job. The zero value is invalid (no job).
    enum JobStatus {
        None,
        Open, // created, reward escrowed, waiting for a trainer
        Active, // accepted: the trainer submits rollups
        Completed, // every rollup finalized; the trainer's bond returned
        Dead, // a rollup was rejected, or the trainer missed a submission deadline: later rollups are void
        Cancelled // withdrawn by the requester before acceptance
    }

    /// @notice Lifecycle of a rollup. The zero value is invalid (no rollup). A rollup at or after the job's first
    /// rejected index reads as `Rejected` (see `rollupStatus`).
    enum RollupStatus {
        None,
        Pending,
        Finalized,
        Rejected
    }

    /// @notice Lifecycle of a game. The zero value is invalid (no game). Exactly one of the two outcomes, once: `step`
    /// or `timeout` decides it; `resolve` then settles its money and the rollup (the game's `resolved` flag).
    enum GameStatus {
        None,
        InProgress,
        ChallengerWon,
        TrainerWon
    }

    /// @notice The challenger's choice at an iteration leaf.
    enum Branch {
        Graph,
        Journal
    }

    /// @notice Why an account was credited.
    enum CreditReason {
        RollupReward, // trainer: its share of the reward for a finalized rollup
        TrainerBondReturned, // trainer: job completed
        ChallengerBondReturned, // challenger: won its game
        TrainerBondAwarded, // challenger: half the trainer's bond, to the earliest-opened winner of the first verdict's rollup
        ChallengerBondForfeited, // trainer (or the requester once the trainer is slashed): the challenger lost
        RewardRefunded, // requester: the unearned reward of a dead or cancelled job
        TrainerBondForfeited // requester: the other half of a slashed trainer's bond, or all of it for a missed deadline
    }

    /// @notice Job parameters checked by `createJob`.
    enum JobField {
        StepsTotal,
        RollupSteps,
        NodeCount,
        ChallengeWindow,
        TrainerClock,
        ChallengerClock,
        TrainerBond,
        ChallengerBond,
        TemplateRoot,
        Reward,
        SubmissionTimeout,
        DropoutLayers
    }

    /// @notice What a requester fixes when it creates a job (the reward is `msg.value`).
    struct JobParams {
        /// @dev hash of the canonical off-chain job spec; also the VRF model id
        bytes32 specHash;
        /// @dev root of the graph template tree (kind 0x16, len = nodeCount, leaf j = node j's descriptor)
        bytes32 templateRoot;
        /// @dev state root (kind 0x15) before step 0: the first rollup's start state
        bytes32 initialState;
        /// @dev dataset root (kind 0x14, len = datasetSize)
        bytes32 datasetRoot;
        uint64 datasetSize;
        /// @dev nodes of one iteration's graph (graph tree length)
        uint32 nodeCount;
        /// @dev dropout nodes of one iteration's graph (journal tree length; 0 = no journal)
        uint32 dropoutLayers;
        /// @dev tolerance profile id, passed to the one-step verifier
        uint32 toleranceProfile;
        uint64 stepsTotal;
        /// @dev iterations per rollup (the last rollup may be shorter); below 2^48
        uint64 rollupSteps;
        /// @dev seconds after a rollup's submission during which games may be opened against it
        uint64 challengeWindow;
        /// @dev the trainer's time budget per game (seconds, below 2^40)
        uint64 trainerClock;
        /// @dev the challenger's time budget per game (seconds, below 2^40)
        uint64 challengerClock;
        /// @dev seconds the trainer has for each rollup, from acceptance (the first) or the previous submission;
        /// once it passes, anyone may `abandonJob` (docs/GAME.md §2.1)
        uint64 submissionTimeout;
        uint128 trainerBond;
        uint128 challengerBond;
    }

    struct Job {
        // slot 0
        address requester;
        JobStatus status;
        bool trainerSlashed;
        uint32 nodeCount;
        uint32 dropoutLayers;
        // slot 1
        address trainer;
        uint64 submitted; // rollups submitted
        uint32 toleranceProfile;
        // slot 2
        uint64 stepsTotal;
        uint64 rollupSteps;
        uint64 challengeWindow;
        uint64 finalized; // rollups finalized (always a prefix: rollups finalize in order)
        // slot 3
        uint64 trainerClock;
        uint64 challengerClock;
        uint64 datasetSize;
        uint64 deadFrom; // first rejected rollup index; type(uint64).max while none
        // slot 4
        uint128 reward;
        uint128 refunded;
        // slot 5
        uint128 trainerBond;
        uint128 challengerBond;
        // slots 6..11
        bytes32 specHash;
        bytes32 templateRoot;
        bytes32 datasetRoot;
        bytes32 initialState;
        bytes32 headState; // end state of the last submitted rollup (initialState before the first)
        bytes32 nonce;
        // slot 12 (read together by abandonJob)
        uint64 submissionTimeout;
        uint64 acceptedAt;
        // slot 13
        address stepFacts; // data contract holding the job's StepFacts (LibCodeData), written at acceptance
        uint32 openGames; // games against the job's rollups not yet resolved
        /// @dev once the trainer is slashed by a game, until its bond is paid out: of the challenger-won games resolved
        /// so far, the one decided first (0: no award pending). Half the trainer's bond goes to the earliest-opened
        /// challenger-won game of that game's rollup, once no game of the job is unresolved.
        uint64 firstWin;
    }

    /// @dev What the one-step check needs of a job and the game reads nowhere else, fixed once the trainer accepts. Kept
    /// as the code of a data contract (`Job.stepFacts`): one cold account access per step instead of seven cold SLOADs
    /// (docs/adr/0007-code-data-step-facts.md).
    struct StepFacts {
        bytes32 specHash;
        bytes32 templateRoot;
        bytes32 datasetRoot;
        bytes32 nonce;
        bytes32 trainerKeyHash;
        uint64 datasetSize;
        uint64 rollupSteps;
        uint64 stepsTotal;
    }

    struct Rollup {
        // slot 0: keccak256(abi.encode(startState, rollupRoot, endState)); the fields themselves are in the event
        bytes32 commitment;
        // slot 1
        uint64 submittedAt;
        uint32 openGames; // games opened and not yet resolved (a decided game counts until `resolve`)
        RollupStatus status;
        uint64 firstOpenedWin; // the earliest-opened challenger-won game resolved on this rollup (0: none)
    }

    struct Game {
        bytes32 current; // slot 0: the hash at the current position (at ElementStep: the element's float32 bits)
        // slot 1: what every move reads and writes, in one slot (128 + 120 + 8 bits)
        Position pos;
        Clock clock;
        GameStatus status;
        // slot 2
        address challenger;
        uint96 rollupId;
        // slot 3: path context, written at leaf reveals. The widths are the game's bounds: an iteration is an index of
        // a rollup tree (< 2^48, a Position's length), an element one of a tensor whose length is a u32 of the
        // template, a journal index one of the job's dropout layers (< 2^16, createJob). The tensor's length is not
        // kept: from the node's reveal on it is the position's length.
        uint48 iteration;
        uint32 nodeId;
        uint32 element;
        uint16 journalIndex;
        /// @dev bytes16(keccak256(descriptor)) of the node revealed (its descriptor opened against the template at
        /// `revealNode`): the one-step check takes the descriptor by this hash instead of a second template proof
        bytes16 descriptorHash;
        // slots 4..6
        bytes32 graphRoot;
        bytes32 journalRoot;
        bytes32 tensorRoot;
        // slot 7: set once by `resolve` (ADR 0010); the decision alone is the status
        bool resolved;
    }

    // =================================================================================================================
    // Errors
    // =================================================================================================================

    /// @notice A job parameter that must be non-zero (or fit its field) does not.
    error JobParamInvalid(JobField field);
    /// @notice No job with this id.
    error UnknownJob(uint256 jobId);
    /// @notice No rollup with this id (jobId << 64 | index).
    error UnknownRollup(uint256 rollupId);
    /// @notice No game with this id.
    error UnknownGame(uint256 gameId);
    /// @notice The job is not in the status the call needs.
    error JobNotInStatus(uint256 jobId, JobStatus expected, JobStatus actual);
    /// @notice Only the job's requester may do this.
    error NotRequester(uint256 jobId, address caller, address requester);
    /// @notice Only the job's trainer may do this.
    error NotTrainer(uint256 jobId, address caller, address trainer);
    /// @notice Only the game's challenger may choose.
    error NotChallenger(uint256 gameId, address caller, address challenger);
    /// @notice `msg.value` is not the exact bond.
    error WrongValue(uint256 expected, uint256 got);
    /// @notice The caller has no VRF key in the registry.
    error KeyNotRegistered(address trainer);
    /// @notice The key must be registered in a block before the one that draws the nonce.
    error KeyTooFresh(address trainer, uint64 registeredBlock, uint64 currentBlock);
    /// @notice Every step of the job is already in a rollup.
    error AllStepsSubmitted(uint256 jobId, uint64 stepsTotal);
    /// @notice A rollup must start where the previous one ended.
    error StartStateMismatch(bytes32 expected, bytes32 got);
    /// @notice The (startState, rollupRoot, endState) given do not hash to the rollup's commitment.
    error ClaimMismatch(uint256 rollupId, bytes32 commitment, bytes32 got);
    /// @notice The rollup is not (or no longer) pending.
    error RollupNotPending(uint256 rollupId, RollupStatus status);
    /// @notice The rollup's challenge window is over.
    error WindowClosed(uint256 rollupId, uint64 deadline, uint64 nowTs);
    /// @notice The rollup's challenge window is not over yet.
    error WindowOpen(uint256 rollupId, uint64 deadline, uint64 nowTs);
    /// @notice Games against the rollup are still being played.
    error GamesOpen(uint256 rollupId, uint32 openGames);
    /// @notice Rollups finalize in order; `finalized` of the job's rollups are.
    error PredecessorNotFinalized(uint256 rollupId, uint64 finalized);
    /// @notice The game is decided: no move, no replay.
    error GameNotInProgress(uint256 gameId, GameStatus status);
    /// @notice `resolve` on a game that is still being played.
    error GameNotDecided(uint256 gameId);
    /// @notice `resolve` on a game already resolved.
    error GameAlreadyResolved(uint256 gameId);
    /// @notice `abandonJob` while games against the job's rollups are unresolved (their winners are paid first).
    error JobGamesOpen(uint256 jobId, uint32 openGames);
    /// @notice This leaf move belongs to another phase.
    error WrongPhase(uint256 gameId, Phase expected, Phase actual);
    /// @notice A tree move (reveal, choose) outside a tree phase.
    error NotInTree(uint256 gameId, Phase actual);
    /// @notice The move belongs to the other side (`toMove` is the side to move).
    error NotYourTurn(uint256 gameId, Side toMove);
    /// @notice The side to move has exceeded its budget by `overBy` seconds: only `timeout` remains.
    error ClockExpired(uint256 gameId, uint64 overBy);
    /// @notice The side to move still has `remaining` seconds.
    error ClockNotExpired(uint256 gameId, Side toMove, uint64 remaining);
    /// @notice A reveal or a sibling list has the wrong number of hashes.
    error RevealLength(uint256 got, uint256 want);
    /// @notice The revealed data does not hash to the committed node.
    error RevealMismatch(bytes32 expected, bytes32 computed);
    /// @notice A padding position of a reveal is not the empty subtree of its height.
    error PaddingNotEmpty(uint256 index, uint256 height, bytes32 value);
    /// @notice The chosen child lies in the padding (index >= the real width at its height).
    error PaddingChosen(uint256 index, uint256 width);
    /// @notice The child index is not below the number of revealed children.
    error ChildOutOfRange(uint256 child, uint256 arity);
    /// @notice A leaf preimage has the wrong byte length.
    error LeafLength(uint256 got, uint256 want);
    /// @notice The iteration leaf names another step than its position in the rollup.
    error IterationStepMismatch(uint64 expected, uint64 got);
    /// @notice The journal root must be zero exactly when the job has no dropout layers.
    error JournalRootInconsistent(uint32 dropoutLayers, bytes32 journalRoot);
    /// @notice The job has no dropout layers: there is no journal to dispute.
    error NoJournal(uint256 gameId);
    /// @notice The chosen element is not an element of the chunk.
    error ElementOutOfRange(uint256 element, uint256 numel);
    /// @notice The caller has no credit.
    error NothingToWithdraw(address account);
    /// @notice The payee refused the payment (its credit is restored by the revert).
    error TransferFailed(address account, uint256 amount);
    /// @notice Job ids are 32-bit.
    error TooManyJobs();
    /// @notice `abandonJob` before the trainer's submission deadline.
    error SubmissionNotLate(uint256 jobId, uint256 deadline, uint64 nowTs);

    // =================================================================================================================
    // Events
    // =================================================================================================================

    /// @notice A job was created and its reward escrowed.
    event JobCreated(uint256 indexed jobId, address indexed requester, JobParams params, uint256 reward);
    /// @notice The requester withdrew an unaccepted job.
    event JobCancelled(uint256 indexed jobId);
    /// @notice A trainer accepted the job with its key; the nonce was drawn.
    event JobAccepted(uint256 indexed jobId, address indexed trainer, bytes32 keyHash, bytes32 nonce);
    /// @notice Every rollup of the job finalized.
    event JobCompleted(uint256 indexed jobId);
    /// @notice A rollup was rejected: the job is dead from rollup `fromIndex` on.
    event JobTerminated(uint256 indexed jobId, uint64 fromIndex);
    /// @notice A rollup was committed; the three roots are only here and in the callers' calldata.
    event RollupSubmitted(
        uint256 indexed jobId,
        uint256 indexed rollupId,
        uint64 index,
        uint64 firstStep,
        uint64 iterations,
        bytes32 startState,
        bytes32 rollupRoot,
        bytes32 endState,
        string traceURI
    );
    /// @notice A rollup finalized; the trainer was credited `share`.
    event RollupFinalized(uint256 indexed rollupId, uint256 share);
    /// @notice A rollup was rejected by game `gameId` (later rollups of the job are rejected with it).
    event RollupRejected(uint256 indexed rollupId, uint256 indexed gameId);
    /// @notice A game was opened; games against the rollup may open until `deadline`.
    event GameOpened(uint256 indexed gameId, uint256 indexed rollupId, address indexed challenger, uint64 deadline);
    /// @notice Children revealed at a tree node: `nodes` are the 2^L descendants at height `height - L` of the node
    /// (`phase`, `height`, `index`); at a tree's root, `nodes[0]` is the top and the descendants follow.
    event Revealed(uint256 indexed gameId, Phase phase, uint256 height, uint256 index, bytes32[] nodes);
    /// @notice The challenger chose the child at (`height`, `index`), hash `node`.
    event Chosen(uint256 indexed gameId, Phase phase, uint256 height, uint256 index, bytes32 node);
    /// @notice The iteration leaf was revealed.
    event IterationRevealed(uint256 indexed gameId, uint64 iteration, uint64 step, bytes32 graphRoot, bytes32 journalRoot);
    /// @notice The challenger chose the graph or the journal.
    event BranchChosen(uint256 indexed gameId, Branch branch);
    /// @notice The node leaf was revealed; the game enters its output tensor of `numel` elements.
    event NodeRevealed(uint256 indexed gameId, uint32 nodeId, bytes32 tensorRoot, uint64 numel);
    /// @notice A chunk was revealed (its bytes, for the challenger's choice).
    event ChunkRevealed(uint256 indexed gameId, uint64 chunkIndex, bytes chunk);
    /// @notice The challenger chose the element to adjudicate; `bits` is its committed float32 value.
    event ElementChosen(uint256 indexed gameId, uint64 element, uint32 bits);
    /// @notice A journal entry was revealed.
    event JournalEntryRevealed(uint256 indexed gameId, uint32 journalIndex, bytes entry);
    /// @notice The one-step check ran.
    event Stepped(uint256 indexed gameId, address indexed caller, bool trainerValid);
    /// @notice The side `loser` ran out of time by `overBy` seconds.
    event TimedOut(uint256 indexed gameId, Side loser, uint64 overBy);
    /// @notice `step` or `timeout` decided the game (its money and rollup wait for `resolve`).
    event GameDecided(uint256 indexed gameId, uint256 indexed rollupId, GameStatus outcome);
    /// @notice `resolve` settled the game: bonds credited, the rollup rejected when the challenger won.
    event GameResolved(uint256 indexed gameId, uint256 indexed rollupId, GameStatus outcome);
    /// @notice `account` may withdraw `amount` more.
    event Credited(address indexed account, uint256 amount, CreditReason reason);
    /// @notice `account` was paid its credit.
    event Withdrawn(address indexed account, uint256 amount);

    // =================================================================================================================
    // State
    // =================================================================================================================

    /// @notice The one-step adjudicator.
    IOneStepVerifier public immutable verifier;
    /// @notice The registry of trainers' VRF keys.
    TrainerKeys public immutable keys;

    /// @notice Rewards held for jobs (not yet credited to a trainer or refunded).
    uint256 public totalEscrow;
    /// @notice Bonds locked in jobs and games. Shares a slot with `totalCredits`: a bond paid out becomes a credit in
    /// one storage write. 128 bits hold any amount of ether (every amount here is a uint128 job field or below one).
    uint128 public totalBonds;
    /// @notice Credits owed to accounts (paid by `withdraw`).
    uint128 public totalCredits;
    uint256 public jobCount;
    uint256 public gameCount;

    mapping(uint256 => Job) internal _jobs;
    mapping(uint256 => Rollup) internal _rollups;
    mapping(uint256 => Game) internal _games;
    /// @dev An account's credit plus 1 once it has ever been credited (0: never). A withdrawal leaves the slot at 1,
    /// so the next credit rewrites a non-zero slot (~5k gas) instead of creating one (~22k): most credits go to bots
    /// that withdraw what they earn, and the one-step transaction pays the winner's credit. `credits` reads the credit.
    mapping(address => uint256) internal _credits;

    /// @notice Most tree levels one reveal opens (2^4 = 16 children).
    uint256 public constant REVEAL_LEVELS = 4;
    /// @notice Byte length of an iteration leaf and of a journal entry (SPEC §3).
    uint256 internal constant ITERATION_LEAF_BYTES = 72;
    uint256 internal constant JOURNAL_ENTRY_BYTES = 264;
    /// @dev abi.encode(StepFacts): eight words.
    uint256 internal constant STEP_FACTS_BYTES = 256;

    /// @param verifier_ the one-step adjudicator (stateless; fixed for the life of this contract)
    /// @param keys_ the VRF key registry
    constructor(IOneStepVerifier verifier_, TrainerKeys keys_) {
        verifier = verifier_;
        keys = keys_;
    }

    // =================================================================================================================
    // Jobs
    // =================================================================================================================

    /// @notice Creates a job and escrows `msg.value` as its reward.
    /// @return jobId the new job's id (from 1)
    function createJob(JobParams calldata p) external payable returns (uint256 jobId) {
        // INVARIANT: every parameter the game relies on is meaningful.
        if (p.stepsTotal == 0) revert JobParamInvalid(JobField.StepsTotal);
        // INVARIANT: a rollup tree's length and indices fit a Position (48 bits).
        if (p.rollupSteps == 0 || p.rollupSteps >= 1 << 48) revert JobParamInvalid(JobField.RollupSteps);
        if (p.nodeCount == 0) revert JobParamInvalid(JobField.NodeCount);
        // INVARIANT: a journal index fits its 16 bits in the game's path slot.
        if (p.dropoutLayers > type(uint16).max) revert JobParamInvalid(JobField.DropoutLayers);
        if (p.challengeWindow == 0) revert JobParamInvalid(JobField.ChallengeWindow);
        // INVARIANT: the budgets fit a Clock (40 bits of seconds).
        if (p.trainerClock == 0 || p.trainerClock > LibClock.MAX_FIELD) revert JobParamInvalid(JobField.TrainerClock);
        if (p.challengerClock == 0 || p.challengerClock > LibClock.MAX_FIELD) {
            revert JobParamInvalid(JobField.ChallengerClock);
        }
        if (p.trainerBond == 0) revert JobParamInvalid(JobField.TrainerBond);
        if (p.challengerBond == 0) revert JobParamInvalid(JobField.ChallengerBond);
        if (p.templateRoot == bytes32(0)) revert JobParamInvalid(JobField.TemplateRoot);
        if (p.submissionTimeout == 0) revert JobParamInvalid(JobField.SubmissionTimeout);
        if (msg.value > type(uint128).max) revert JobParamInvalid(JobField.Reward);
        // INVARIANT: job ids fit the 32 bits they have in rollup ids.
        if (jobCount >= type(uint32).max) revert TooManyJobs();

        jobId = ++jobCount;
        Job storage j = _jobs[jobId];
        j.requester = msg.sender;
        _touchCredit(msg.sender);
        j.status = JobStatus.Open;
        j.nodeCount = p.nodeCount;
        j.dropoutLayers = p.dropoutLayers;
        j.toleranceProfile = p.toleranceProfile;
        j.stepsTotal = p.stepsTotal;
        j.rollupSteps = p.rollupSteps;
        j.challengeWindow = p.challengeWindow;
        j.trainerClock = p.trainerClock;
        j.challengerClock = p.challengerClock;
        j.datasetSize = p.datasetSize;
        j.submissionTimeout = p.submissionTimeout;
        j.deadFrom = type(uint64).max;
        j.reward = uint128(msg.value);
        j.trainerBond = p.trainerBond;
        j.challengerBond = p.challengerBond;
        j.specHash = p.specHash;
        j.templateRoot = p.templateRoot;
        j.datasetRoot = p.datasetRoot;
        j.initialState = p.initialState;
        j.headState = p.initialState;
        totalEscrow += msg.value;
        emit JobCreated(jobId, msg.sender, p, msg.value);
    }

    /// @notice The requester withdraws a job nobody accepted; the reward is credited back.
    function cancelJob(uint256 jobId) external {
        Job storage j = _job(jobId);
        if (msg.sender != j.requester) revert NotRequester(jobId, msg.sender, j.requester);
        _requireJobStatus(jobId, j, JobStatus.Open);
        j.status = JobStatus.Cancelled;
        j.refunded = j.reward;
        emit JobCancelled(jobId);
        _payFromEscrow(j.requester, j.reward, CreditReason.RewardRefunded);
    }

    /// @notice Accepts a job with the caller's registered key, locking `msg.value == trainerBond`.
    /// @dev The nonce is drawn here: keccak256(prevrandao, jobId, trainer). See docs/GAME.md §1.2 for why this is
    /// unpredictable enough, and what influence remains.
    function acceptJob(uint256 jobId) external payable {
        Job storage j = _job(jobId);
        _requireJobStatus(jobId, j, JobStatus.Open);
        if (msg.value != j.trainerBond) revert WrongValue(j.trainerBond, msg.value);
        TrainerKeys.Key memory k;
        (k.keyHash, k.registeredBlock) = keys.keyOf(msg.sender);
        if (k.keyHash == bytes32(0)) revert KeyNotRegistered(msg.sender);
        // INVARIANT: the key was fixed in an earlier block than the one whose randomness draws the nonce.
        if (k.registeredBlock >= block.number) revert KeyTooFresh(msg.sender, k.registeredBlock, uint64(block.number));
        j.status = JobStatus.Active;
        j.trainer = msg.sender;
        _touchCredit(msg.sender);
        j.acceptedAt = uint64(block.timestamp);
        bytes32 nonce = keccak256(abi.encode(block.prevrandao, jobId, msg.sender));
        j.nonce = nonce;
        j.stepFacts = LibCodeData.write(
            abi.encode(
                StepFacts(
                    j.specHash, j.templateRoot, j.datasetRoot, nonce, k.keyHash, j.datasetSize, j.rollupSteps, j.stepsTotal
                )
            )
        );
        // msg.value == trainerBond, a uint128.
        totalBonds += uint128(msg.value);
        emit JobAccepted(jobId, msg.sender, k.keyHash, nonce);
    }

    // =================================================================================================================
    // Rollups
    // =================================================================================================================

    /// @notice Commits the next `rollupSteps` iterations (fewer for the last rollup) of an accepted job, in O(1) gas.
    /// @param startState must equal the previous rollup's end state (the job's initial state for the first)
    /// @param rollupRoot root of the rollup tree (kind 0x13, len = the rollup's iterations)
    /// @param endState state root after the rollup's last iteration
    /// @param traceURI where challengers fetch the trace (not interpreted on-chain)
    /// @return rollupId (jobId << 64) | index
    function submitRollup(
        uint256 jobId,
        bytes32 startState,
        bytes32 rollupRoot,
        bytes32 endState,
        string calldata traceURI
    ) external returns (uint256 rollupId) {
        Job storage j = _job(jobId);
        _requireJobStatus(jobId, j, JobStatus.Active);
        if (msg.sender != j.trainer) revert NotTrainer(jobId, msg.sender, j.trainer);
        uint64 index = j.submitted;
        // index·rollupSteps < stepsTotal < 2^64 for every submitted rollup, and index is one more than the last.
        uint256 firstStep = uint256(index) * j.rollupSteps;
        // INVARIANT: rollups cover [0, stepsTotal) exactly once.
        if (firstStep >= j.stepsTotal) revert AllStepsSubmitted(jobId, j.stepsTotal);
        // INVARIANT: rollups chain.
        if (startState != j.headState) revert StartStateMismatch(j.headState, startState);

        rollupId = (jobId << 64) | index;
        Rollup storage r = _rollups[rollupId];
        r.commitment = keccak256(abi.encode(startState, rollupRoot, endState));
        r.submittedAt = uint64(block.timestamp);
        r.status = RollupStatus.Pending;
        j.submitted = index + 1;
        j.headState = endState;
        _emitSubmitted(j, rollupId, startState, rollupRoot, endState, traceURI);
    }

    function _emitSubmitted(
        Job storage j,
        uint256 rollupId,
        bytes32 startState,
        bytes32 rollupRoot,
        bytes32 endState,
        string calldata traceURI
    ) private {
        uint64 index = uint64(rollupId);
        emit RollupSubmitted(
            rollupId >> 64,
            rollupId,
            index,
            index * j.rollupSteps,
            _iterations(j, index),
            startState,
            rollupRoot,
            endState,
            traceURI
        );
    }

    /// @notice Terminates an active job whose trainer let its submission deadline pass (anyone may call): rollups
    /// from the next one on are rejected, the requester is refunded the reward they would have earned and credited
    /// the trainer's whole bond. Rollups already submitted stay pending: they finalize (and pay) or are disputed as
    /// before. Refused (`JobGamesOpen`) while a game against the job's rollups is unresolved, so that a challenger who
    /// proved a fraud is paid its award first.
    function abandonJob(uint256 jobId) external {
        Job storage j = _job(jobId);
        _requireJobStatus(jobId, j, JobStatus.Active);
        uint64 index = j.submitted;
        if (uint256(index) * j.rollupSteps >= j.stepsTotal) revert AllStepsSubmitted(jobId, j.stepsTotal);
        uint64 last = index == 0 ? j.acceptedAt : _rollups[(jobId << 64) | (index - 1)].submittedAt;
        uint256 deadline = uint256(last) + j.submissionTimeout;
        if (block.timestamp < deadline) revert SubmissionNotLate(jobId, deadline, uint64(block.timestamp));
        // INVARIANT: a game decided for a challenger is paid its award before the bond goes to the requester; games
        // open only within a window after a submission, so the wait is bounded by the window and both clocks.
        if (j.openGames != 0) revert JobGamesOpen(jobId, j.openGames);
        // The trainer is slashed: no winning game may award its bond again (resolve).
        j.trainerSlashed = true;
        _terminate(j, jobId, index);
        _payFromBonds(j.requester, j.trainerBond, CreditReason.TrainerBondForfeited);
    }

    /// @notice Finalizes a rollup after its window once every game against it is resolved (anyone may call). Credits the
    /// trainer its share of the reward, and its bond back with the job's last rollup.
    function finalizeRollup(uint256 rollupId) external {
        (Job storage j, Rollup storage r) = _rollup(rollupId);
        uint256 jobId = rollupId >> 64;
        uint64 index = uint64(rollupId);
        RollupStatus s = _rollupStatus(j, r, index);
        // INVARIANT: only a pending rollup finalizes, once (a finalized rollup never changes state).
        if (s != RollupStatus.Pending) revert RollupNotPending(rollupId, s);
        uint64 deadline = r.submittedAt + j.challengeWindow;
        if (block.timestamp < deadline) revert WindowOpen(rollupId, deadline, uint64(block.timestamp));
        if (r.openGames != 0) revert GamesOpen(rollupId, r.openGames);
        // INVARIANT: rollups finalize in order (a later rollup's start state is an earlier one's end state).
        if (j.finalized != index) revert PredecessorNotFinalized(rollupId, j.finalized);

        r.status = RollupStatus.Finalized;
        j.finalized = index + 1;
        uint256 share = _cumulativeReward(j, index + 1) - _cumulativeReward(j, index);
        emit RollupFinalized(rollupId, share);
        _payFromEscrow(j.trainer, share, CreditReason.RollupReward);
        if (uint256(index + 1) * j.rollupSteps >= j.stepsTotal) {
            j.status = JobStatus.Completed;
            emit JobCompleted(jobId);
            _payFromBonds(j.trainer, j.trainerBond, CreditReason.TrainerBondReturned);
        }
    }

    // =================================================================================================================
    // Games: opening
    // =================================================================================================================

    /// @notice Opens a dispute game against a pending rollup within its challenge window, locking
    /// `msg.value == challengerBond`. Any number of games may be open against one rollup; each is played alone.
    /// @dev Open the game first and walk it in a later transaction: a copy of the walk seen in the mempool can then only
    /// open a later game, and half the trainer's bond goes to the earliest-opened winning game of the rollup of the
    /// first verdict against the trainer (docs/GAME.md §5.1).
    /// @return gameId the new game's id (from 1; ids increase with opening order)
    function openGame(uint256 rollupId, bytes32 startState, bytes32 rollupRoot, bytes32 endState)
        external
        payable
        returns (uint256 gameId)
    {
        (Job storage j, Rollup storage r) = _rollup(rollupId);
        RollupStatus s = _rollupStatus(j, r, uint64(rollupId));
        if (s != RollupStatus.Pending) revert RollupNotPending(rollupId, s);
        uint64 deadline = r.submittedAt + j.challengeWindow;
        // INVARIANT: games open only within the window, so every game against a rollup is decided at most window +
        // both clocks after its submission however many challengers appear; it finalizes once they are resolved
        // (`resolve`, anyone).
        if (block.timestamp >= deadline) revert WindowClosed(rollupId, deadline, uint64(block.timestamp));
        if (msg.value != j.challengerBond) revert WrongValue(j.challengerBond, msg.value);
        bytes32 c = keccak256(abi.encode(startState, rollupRoot, endState));
        if (c != r.commitment) revert ClaimMismatch(rollupId, r.commitment, c);

        uint64 iterations = _iterations(j, uint64(rollupId));
        gameId = ++gameCount;
        Game storage g = _games[gameId];
        g.current = rollupRoot;
        g.pos = LibPosition.pack(
            Phase.RollupTree, LibMerkle.depthOf(iterations), 0, iterations, true, false
        );
        g.clock = LibClock.pack(j.trainerClock, j.challengerClock, uint64(block.timestamp));
        g.status = GameStatus.InProgress;
        g.challenger = msg.sender;
        g.rollupId = uint96(rollupId);
        r.openGames += 1;
        j.openGames += 1;
        _touchCredit(msg.sender);
        // msg.value == challengerBond, a uint128.
        totalBonds += uint128(msg.value);
        emit GameOpened(gameId, rollupId, msg.sender, deadline);
    }

    // =================================================================================================================
    // Games: tree moves
    // =================================================================================================================

    /// @notice Reveals the children of the current tree node: its 2^L descendants at height h − L, L = min(4, h).
    /// At a tree's root, `nodes[0]` is the tree's top (root = sha256(0x02 || kind || u64be(len) || top)) followed by
    /// the descendants (none if the tree has a single leaf). Anyone may reveal; the trainer's clock pays for the wait.
    /// @dev Padding descendants (beyond the tree's real width at their height) must be empty subtrees.
    function reveal(uint256 gameId, bytes32[] calldata nodes) external {
        Game storage g = _live(gameId);
        Position p = g.pos;
        _requireTreeTurn(gameId, p, false);
        _charge(gameId, g, Side.Trainer);
        _reveal(gameId, g, p, nodes);
    }

    /// @notice The challenger chooses child `child` (< 2^L) of the revealed node. `node` is that child's hash and
    /// `siblings` its L siblings inside the revealed subtree, bottom-up (from the Revealed event's nodes).
    function choose(uint256 gameId, uint256 child, bytes32 node, bytes32[] calldata siblings) external {
        Game storage g = _live(gameId);
        _onlyChallenger(gameId, g);
        Position p = g.pos;
        _requireTreeTurn(gameId, p, true);
        _charge(gameId, g, Side.Challenger);
        uint256 levels = _levels(p.height());
        if (child >> levels != 0) revert ChildOutOfRange(child, 1 << levels);
        if (siblings.length != levels) revert RevealLength(siblings.length, levels);
        bytes32 h = _foldPath(node, child, siblings);
        bytes32 cur = g.current;
        if (h != cur) revert RevealMismatch(cur, h);
        _descend(gameId, g, p, child, node);
    }

    // =================================================================================================================
    // Games: leaf moves
    // =================================================================================================================

    /// @notice Reveals the iteration leaf reached in the rollup tree: u64be(step) || graphRoot || journalRoot.
    /// @dev The step must be the rollup's first step + the leaf index; the journal root must be zero iff the job has
    /// no dropout layers.
    function revealIteration(uint256 gameId, bytes calldata leaf) external {
        Game storage g = _live(gameId);
        Position p = g.pos;
        _requireLeafTurn(gameId, p, Phase.IterationLeaf, false);
        _charge(gameId, g, Side.Trainer);
        if (leaf.length != ITERATION_LEAF_BYTES) revert LeafLength(leaf.length, ITERATION_LEAF_BYTES);
        _checkLeaf(g, leaf);
        (Job storage j,) = _rollup(g.rollupId);
        uint48 iteration = uint48(p.index()); // < the rollup tree's length < 2^48 (a Position's length)
        uint64 stepNo = uint64(bytes8(leaf[0:8]));
        uint64 want = uint64(uint64(g.rollupId) * j.rollupSteps + iteration);
        // INVARIANT: iteration i of a rollup is step firstStep + i (the index is bound by the tree's path bits).
        if (stepNo != want) revert IterationStepMismatch(want, stepNo);
        bytes32 graphRoot = bytes32(leaf[8:40]);
        bytes32 journalRoot = bytes32(leaf[40:72]);
        // INVARIANT: the journal exists iff the template has dropout layers (EMPTY_JOURNAL_ROOT = 0 otherwise).
        if ((j.dropoutLayers == 0) != (journalRoot == bytes32(0))) {
            revert JournalRootInconsistent(j.dropoutLayers, journalRoot);
        }
        g.iteration = iteration;
        g.graphRoot = graphRoot;
        g.journalRoot = journalRoot;
        g.pos = p.withRevealed();
        emit IterationRevealed(gameId, iteration, stepNo, graphRoot, journalRoot);
    }

    /// @notice The challenger disputes the iteration's graph or its dropout journal.
    function chooseBranch(uint256 gameId, Branch branch) external {
        Game storage g = _live(gameId);
        _onlyChallenger(gameId, g);
        Position p = g.pos;
        _requireLeafTurn(gameId, p, Phase.IterationLeaf, true);
        _charge(gameId, g, Side.Challenger);
        (Job storage j,) = _rollup(g.rollupId);
        if (branch == Branch.Graph) {
            uint256 n = j.nodeCount;
            g.current = g.graphRoot;
            g.pos = LibPosition.pack(Phase.GraphTree, LibMerkle.depthOf(n), 0, n, true, false);
        } else {
            uint256 n = j.dropoutLayers;
            if (n == 0) revert NoJournal(gameId);
            g.current = g.journalRoot;
            g.pos = LibPosition.pack(Phase.JournalTree, LibMerkle.depthOf(n), 0, n, true, false);
        }
        emit BranchChosen(gameId, branch);
    }

    /// @notice Reveals the node leaf reached in the graph tree (the node's output tensor root) with the node's
    /// descriptor opened against the job's template root, which gives the tensor's length. The game enters the tensor.
    /// @param descriptor node `nodeId`'s descriptor (LibTemplate), `templateProof` its proof in the template tree
    function revealNode(uint256 gameId, bytes32 tensorRoot, bytes calldata descriptor, bytes32[] calldata templateProof)
        external
    {
        Game storage g = _live(gameId);
        Position p = g.pos;
        _requireLeafTurn(gameId, p, Phase.NodeLeaf, false);
        _charge(gameId, g, Side.Trainer);
        _checkLeaf(g, abi.encodePacked(tensorRoot));
        (Job storage j,) = _rollup(g.rollupId);
        uint256 nodeId = p.index();
        // INVARIANT: the tensor's length comes from the requester's template, never from the trainer.
        uint64 numel = LibTemplate.openNumel(j.templateRoot, j.nodeCount, nodeId, descriptor, templateProof);
        g.nodeId = uint32(nodeId);
        g.descriptorHash = bytes16(keccak256(descriptor));
        g.tensorRoot = tensorRoot;
        g.current = tensorRoot;
        g.pos = LibPosition.pack(
            Phase.TensorTree, LibMerkle.depthOf(LibMerkle.numLeaves(LibMerkle.KIND_TENSOR, numel)), 0, numel, true, false
        );
        emit NodeRevealed(gameId, uint32(nodeId), tensorRoot, numel);
    }

    /// @notice Reveals the chunk reached in the tensor tree (its exact bytes: 1024, or 4·(numel − 256c) for the last).
    function revealChunk(uint256 gameId, bytes calldata chunk) external {
        Game storage g = _live(gameId);
        Position p = g.pos;
        _requireLeafTurn(gameId, p, Phase.ChunkLeaf, false);
        _charge(gameId, g, Side.Trainer);
        uint256 want = LibMerkle.chunkByteLength(p.len(), p.index());
        if (chunk.length != want) revert LeafLength(chunk.length, want);
        _checkLeaf(g, chunk);
        // From here the game holds the chunk's word tree: the one-step opens one word, not the chunk (SPEC §2.5).
        g.current = LibWordTree.root(chunk);
        g.pos = p.withRevealed();
        emit ChunkRevealed(gameId, uint64(p.index()), chunk);
    }

    /// @notice The challenger chooses one element of the revealed chunk (`offset` < the chunk's element count) and
    /// opens it from the chunk's word tree (SPEC §2.5), so the game holds the value it disputes.
    /// @param opening the element's word and its five siblings (192 bytes), as in `ChunkRevealed`'s chunk
    function chooseElement(uint256 gameId, uint256 offset, bytes calldata opening) external {
        Game storage g = _live(gameId);
        _onlyChallenger(gameId, g);
        Position p = g.pos;
        _requireLeafTurn(gameId, p, Phase.ChunkLeaf, true);
        _charge(gameId, g, Side.Challenger);
        uint256 numel = p.len();
        uint256 element = p.index() * LibMerkle.CHUNK_ELEMS + offset;
        // INVARIANT: a real element of the chunk (offset < 256 and element < numel).
        if (offset >= LibMerkle.CHUNK_ELEMS || element >= numel) revert ElementOutOfRange(element, numel);
        uint32 bits = LibWordTree.openElement(g.current, offset, opening);
        // From here the current hash is the disputed element's float32 bits (the word tree has served its purpose).
        g.current = bytes32(uint256(bits));
        g.element = uint32(element); // < numel, a u32 of the template
        g.pos = LibPosition.pack(Phase.ElementStep, 0, p.index(), numel, false, false);
        emit ElementChosen(gameId, uint64(element), bits);
    }

    /// @notice Reveals the journal entry reached in the journal tree (264 bytes, SPEC §3); the game goes to its
    /// one-step check.
    function revealJournalEntry(uint256 gameId, bytes calldata entry) external {
        Game storage g = _live(gameId);
        Position p = g.pos;
        _requireLeafTurn(gameId, p, Phase.JournalLeaf, false);
        _charge(gameId, g, Side.Trainer);
        if (entry.length != JOURNAL_ENTRY_BYTES) revert LeafLength(entry.length, JOURNAL_ENTRY_BYTES);
        _checkLeaf(g, entry);
        g.journalIndex = uint16(p.index()); // < dropoutLayers < 2^16 (createJob)
        g.pos = LibPosition.pack(Phase.JournalStep, 0, p.index(), p.len(), false, false);
        emit JournalEntryRevealed(gameId, uint32(p.index()), entry);
    }

    // =================================================================================================================
    // Games: the one-step check and timeouts
    // =================================================================================================================

    /// @notice Runs the one-step check at the end of the path (anyone may call; it is the trainer's turn, and its
    /// clock runs until someone does). The verifier's verdict decides the game; `resolve` settles it.
    /// @param startState,rollupRoot,endState the rollup's claim (checked against its commitment)
    /// @param leafData empty (element step: the element was opened at chooseElement) or the journal entry (journal step)
    /// @param proof the verifier's openings (IOneStepVerifier)
    function step(
        uint256 gameId,
        bytes32 startState,
        bytes32 rollupRoot,
        bytes32 endState,
        bytes calldata leafData,
        bytes calldata proof
    ) external {
        Game storage g = _live(gameId);
        Position p = g.pos;
        Phase ph = p.phase();
        if (ph != Phase.ElementStep && ph != Phase.JournalStep) revert WrongPhase(gameId, Phase.ElementStep, ph);
        _charge(gameId, g, Side.Trainer);
        StepContext memory ctx = _context(g, startState, rollupRoot, endState);
        bool trainerValid;
        if (ph == Phase.ElementStep) {
            ctx.graphRoot = g.graphRoot;
            ctx.journalRoot = g.journalRoot; // the dropout rules open the layer's entry
            ctx.nodeId = g.nodeId;
            ctx.descriptorHash = g.descriptorHash;
            ctx.tensorRoot = g.tensorRoot;
            ctx.numel = uint64(p.len()); // the tensor's length, since the node's reveal
            ctx.element = g.element;
            // INVARIANT: the element's value was opened at chooseElement; an element step carries no leaf data.
            if (leafData.length != 0) revert LeafLength(leafData.length, 0);
            ctx.elementBits = uint32(uint256(g.current));
            trainerValid = verifier.verifyElement(ctx, proof);
        } else {
            _checkLeaf(g, leafData);
            ctx.journalIndex = g.journalIndex;
            ctx.journalEntry = leafData; // opened against the journal root by the game: the roots are not needed
            trainerValid = verifier.verifyJournalEntry(ctx, proof);
        }
        emit Stepped(gameId, msg.sender, trainerValid);
        _decide(gameId, g, !trainerValid);
    }

    /// @notice Ends a game whose side to move has exceeded its time budget; the other side wins (anyone may call).
    /// `resolve` settles it.
    function timeout(uint256 gameId) external {
        Game storage g = _live(gameId);
        Side side = _sideToMove(g.pos);
        Clock c = g.clock;
        uint64 nowTs = uint64(block.timestamp);
        uint64 spent = c.elapsed(nowTs);
        uint64 budget = c.left(side);
        // INVARIANT: a side loses on time only once strictly past its budget (a move at exactly the budget is allowed).
        if (spent <= budget) revert ClockNotExpired(gameId, side, budget - spent);
        g.clock = side == Side.Trainer
            ? LibClock.pack(0, c.challengerLeft(), nowTs)
            : LibClock.pack(c.trainerLeft(), 0, nowTs);
        emit TimedOut(gameId, side, spent - budget);
        _decide(gameId, g, side == Side.Trainer);
    }

    /// @notice Settles a decided game, once (anyone may call; the winner has the incentive). The challenger won: its
    /// bond back, the rollup and every later rollup of the job rejected, the requester refunded the unearned reward,
    /// the trainer's bond held until no game of the job is unresolved, then half of it to the earliest-opened winner of
    /// the first verdict's rollup. The trainer won: the challenger's bond to
    /// the trainer, or to the requester once the trainer has been slashed in this job. The rollup can finalize only
    /// once every game against it is resolved (ADR 0010).
    function resolve(uint256 gameId) external {
        Game storage g = _games[gameId];
        GameStatus s = g.status;
        if (s == GameStatus.None) revert UnknownGame(gameId);
        if (s == GameStatus.InProgress) revert GameNotDecided(gameId);
        // INVARIANT: a game is settled once; its money moves here and nowhere else.
        if (g.resolved) revert GameAlreadyResolved(gameId);
        g.resolved = true;
        _resolve(gameId, g, s == GameStatus.ChallengerWon);
    }

    // =================================================================================================================
    // Money
    // =================================================================================================================

    /// @notice Pays the caller everything it is owed.
    function withdraw() external nonReentrant {
        uint256 c = _credits[msg.sender];
        uint256 amount = c == 0 ? 0 : c - 1;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _credits[msg.sender] = 1;
        totalCredits -= uint128(amount); // amount <= totalCredits (every credit was added to it)
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed(msg.sender, amount);
    }

    /// @notice What `account` can withdraw.
    function credits(address account) external view returns (uint256) {
        uint256 c = _credits[account];
        return c == 0 ? 0 : c - 1;
    }

    /// @notice What the contract owes in all (escrowed rewards + locked bonds + credits); equals its balance.
    function totalOwed() external view returns (uint256) {
        return totalEscrow + totalBonds + totalCredits;
    }

    // =================================================================================================================
    // Views
    // =================================================================================================================

    /// @notice A job's lifecycle fields (the fixed parameters are in the JobCreated event).
    function jobState(uint256 jobId)
        external
        view
        returns (
            JobStatus status,
            address trainer,
            uint64 submitted,
            uint64 finalized,
            uint64 deadFrom,
            bool trainerSlashed,
            bytes32 headState,
            bytes32 nonce
        )
    {
        Job storage j = _jobs[jobId];
        return (j.status, j.trainer, j.submitted, j.finalized, j.deadFrom, j.trainerSlashed, j.headState, j.nonce);
    }

    /// @notice A rollup's stored record (use `rollupStatus` for its effective status).
    function getRollup(uint256 rollupId) external view returns (Rollup memory) {
        return _rollups[rollupId];
    }

    /// @notice A game's stored record.
    function getGame(uint256 gameId) external view returns (Game memory) {
        return _games[gameId];
    }

    /// @notice The job's unresolved games, and the game whose challenger half the trainer's bond would go to if it
    /// were paid now (0: no award pending; it is paid once `openGames` is 0).
    function jobGames(uint256 jobId) external view returns (uint32 openGames, uint64 awardTo) {
        Job storage j = _job(jobId);
        uint64 first = j.firstWin;
        return (j.openGames, first == 0 ? 0 : _awardTo(first));
    }

    /// @notice A rollup's effective status: a pending rollup at or after its job's first rejected rollup is Rejected.
    function rollupStatus(uint256 rollupId) external view returns (RollupStatus) {
        return _rollupStatus(_jobs[rollupId >> 64], _rollups[rollupId], uint64(rollupId));
    }

    /// @notice The side whose move (and clock) it is in a game.
    function sideToMove(uint256 gameId) external view returns (Side) {
        return _sideToMove(_games[gameId].pos);
    }

    /// @notice The hash of an all-padding subtree of height `t`: zeroSubtree(0) = ZERO,
    /// zeroSubtree(t + 1) = innerHash(zeroSubtree(t), zeroSubtree(t)).
    /// @dev Computed (t hashes) rather than tabled: a 64-entry table costs 2 KB of code, and padding is rare and low.
    function zeroSubtree(uint256 t) public view returns (bytes32 z) {
        for (uint256 i; i < t; ++i) {
            z = LibMerkle.innerHash(z, z);
        }
    }

    // =================================================================================================================
    // Internals: game mechanics
    // =================================================================================================================

    /// @dev Verifies a reveal at the current tree node and records it. Returns the new position and the offset of the
    /// first descendant in `nodes` (1 at a root, for the top).
    function _reveal(uint256 gameId, Game storage g, Position p, bytes32[] calldata nodes)
        private
        returns (Position np, uint256 off)
    {
        Phase ph = p.phase();
        uint256 h = p.height();
        uint256 levels = _levels(h);
        bytes32 parent = g.current;
        if (p.atRoot()) {
            off = 1;
            uint256 want = h == 0 ? 1 : 1 + (1 << levels);
            if (nodes.length != want) revert RevealLength(nodes.length, want);
            bytes32 root = LibMerkle.rootHash(ph.treeKind(), p.len(), nodes[0]);
            // INVARIANT: the top belongs to this root (kind and length included).
            if (root != parent) revert RevealMismatch(parent, root);
            parent = nodes[0];
            if (h == 0) {
                // A single-leaf tree: the top is the leaf; no choice to make.
                np = LibPosition.pack(ph.leafPhase(), 0, 0, p.len(), false, false);
                g.current = parent;
                g.pos = np;
                emit Revealed(gameId, ph, h, 0, nodes);
                return (np, off);
            }
        } else {
            uint256 want = 1 << levels;
            if (nodes.length != want) revert RevealLength(nodes.length, want);
        }
        bytes32 folded = _fold(nodes, off, levels);
        // INVARIANT: the revealed descendants hash up to the current node.
        if (folded != parent) revert RevealMismatch(parent, folded);
        _checkPadding(p, nodes, off, levels);
        np = p.enteredAndRevealed();
        if (p.atRoot()) g.current = parent;
        g.pos = np;
        emit Revealed(gameId, ph, h, p.index(), nodes);
    }

    /// @dev Moves to child `child` (hash `node`) of the revealed current node, refusing padding positions.
    function _descend(uint256 gameId, Game storage g, Position p, uint256 child, bytes32 node) private {
        Phase ph = p.phase();
        uint256 levels = _levels(p.height());
        uint256 t = p.height() - levels;
        // index < width(h) <= 2^(64 - h) and child < 2^levels: the new index fits 64 bits.
        uint256 index = (p.index() << levels) | child;
        uint256 width = _width(ph, p.len(), t);
        // INVARIANT: the challenger walks real positions only.
        if (index >= width) revert PaddingChosen(index, width);
        Phase next = t == 0 ? ph.leafPhase() : ph;
        g.current = node;
        g.pos = LibPosition.pack(next, t, index, p.len(), false, false);
        emit Chosen(gameId, ph, t, index, node);
    }

    /// @dev Refuses a reveal whose padding descendants are not empty subtrees (no data hidden in padding).
    function _checkPadding(Position p, bytes32[] calldata nodes, uint256 off, uint256 levels) private view {
        uint256 t = p.height() - levels;
        uint256 width = _width(p.phase(), p.len(), t);
        uint256 first = p.index() << levels;
        uint256 n = 1 << levels;
        if (first + n <= width) return;
        bytes32 z = zeroSubtree(t);
        uint256 k = width > first ? width - first : 0;
        for (; k < n; ++k) {
            // INVARIANT: a padding position holds the empty subtree of its height.
            if (nodes[off + k] != z) revert PaddingNotEmpty(first + k, t, nodes[off + k]);
        }
    }

    /// @dev Folds 2^levels hashes (from `nodes[off]`; callers checked the length) into their subtree root with
    /// innerHash = sha256(0x01 || l || r).
    /// Assembly, for a measured reason: the same loop in Solidity over a memory array (LibMerkle.innerHash per pair)
    /// costs ~800 gas per hash and ~270 per copied node (debug_traceTransaction of a 16-child reveal: 16.3k of its
    /// 51k); this one copies the nodes with one CALLDATACOPY and hashes each pair from a 65-byte window past them,
    /// writing the digest in place (pair i of a level lands in slot i, which no later pair of the level reads).
    /// Memory past the free-memory pointer is used temporarily and the pointer is not moved.
    function _fold(bytes32[] calldata nodes, uint256 off, uint256 levels) private view returns (bytes32 top) {
        bool ok = true;
        assembly ("memory-safe") {
            let n := shl(levels, 1)
            let buf := mload(0x40)
            calldatacopy(buf, add(nodes.offset, shl(5, off)), shl(5, n))
            let win := add(buf, shl(5, n))
            mstore8(win, 0x01)
            for { let w := n } gt(w, 1) { w := shr(1, w) } {
                let half := shr(1, w)
                for { let i := 0 } lt(i, half) { i := add(i, 1) } {
                    let src := add(buf, shl(6, i))
                    mstore(add(win, 1), mload(src))
                    mstore(add(win, 33), mload(add(src, 32)))
                    ok := and(ok, staticcall(gas(), 0x02, win, 65, add(buf, shl(5, i)), 32))
                }
            }
            top := mload(buf)
        }
        if (!ok) revert LibMerkle.Sha256Failed();
    }

    /// @dev The root of the revealed subtree that child `child` (hash `node`) and its siblings (bottom-up) lead to.
    /// Assembly for the same measured reason as `_fold` (a 65-byte window past the free-memory pointer, digest in
    /// scratch space).
    function _foldPath(bytes32 node, uint256 child, bytes32[] calldata siblings) private view returns (bytes32 h) {
        bool ok = true;
        assembly ("memory-safe") {
            let win := mload(0x40)
            mstore8(win, 0x01)
            h := node
            for { let t := 0 } lt(t, siblings.length) { t := add(t, 1) } {
                let s := calldataload(add(siblings.offset, shl(5, t)))
                switch and(shr(t, child), 1)
                case 0 {
                    mstore(add(win, 1), h)
                    mstore(add(win, 33), s)
                }
                default {
                    mstore(add(win, 1), s)
                    mstore(add(win, 33), h)
                }
                ok := and(ok, staticcall(gas(), 0x02, win, 65, 0x00, 32))
                h := mload(0x00)
            }
        }
        if (!ok) revert LibMerkle.Sha256Failed();
    }

    /// @dev Real width of a tree (kind from `ph`, length field `len`) at height t: ceil(numLeaves / 2^t).
    function _width(Phase ph, uint256 len, uint256 t) private pure returns (uint256) {
        uint256 n = LibMerkle.numLeaves(ph.treeKind(), len);
        return ((n - 1) >> t) + 1;
    }

    /// @dev Levels revealed at once from height h: min(4, h).
    function _levels(uint256 h) private pure returns (uint256) {
        return h < REVEAL_LEVELS ? h : REVEAL_LEVELS;
    }

    /// @dev Requires that the leaf data hashes to the current node (leafHash = sha256(0x00 || data)).
    function _checkLeaf(Game storage g, bytes memory data) private view {
        bytes32 h = LibMerkle.leafHash(data);
        bytes32 cur = g.current;
        // INVARIANT: the revealed preimage is the trainer's committed leaf.
        if (h != cur) revert RevealMismatch(cur, h);
    }

    /// @dev The side to move: the trainer when a reveal or the one-step check is due, the challenger when a choice is.
    function _sideToMove(Position p) private pure returns (Side) {
        Phase ph = p.phase();
        if (ph == Phase.ElementStep || ph == Phase.JournalStep) return Side.Trainer;
        return p.revealed() ? Side.Challenger : Side.Trainer;
    }

    /// @dev Charges the elapsed time to `side` (which must be the side to move; callers check the turn first).
    function _charge(uint256 gameId, Game storage g, Side side) private {
        (Clock next, uint64 overBy) = g.clock.charge(side, uint64(block.timestamp));
        // INVARIANT: a side out of time cannot move; only `timeout` ends the game.
        if (overBy != 0) revert ClockExpired(gameId, overBy);
        g.clock = next;
    }

    function _requireTreeTurn(uint256 gameId, Position p, bool choice) private pure {
        Phase ph = p.phase();
        if (!ph.isTree()) revert NotInTree(gameId, ph);
        // INVARIANT: reveal, then choose, alternately.
        if (p.revealed() != choice) revert NotYourTurn(gameId, _sideToMove(p));
    }

    function _requireLeafTurn(uint256 gameId, Position p, Phase expected, bool choice) private pure {
        Phase ph = p.phase();
        if (ph != expected) revert WrongPhase(gameId, expected, ph);
        if (p.revealed() != choice) revert NotYourTurn(gameId, _sideToMove(p));
    }

    function _onlyChallenger(uint256 gameId, Game storage g) private view {
        address c = g.challenger;
        if (msg.sender != c) revert NotChallenger(gameId, msg.sender, c);
    }

    /// @dev The game, which must be in progress.
    function _live(uint256 gameId) private view returns (Game storage g) {
        g = _games[gameId];
        GameStatus s = g.status;
        if (s == GameStatus.None) revert UnknownGame(gameId);
        // INVARIANT: a decided game accepts no move (no replay after the verdict).
        if (s != GameStatus.InProgress) revert GameNotInProgress(gameId, s);
    }

    /// @dev Builds the verifier's context; the claim must match the rollup's commitment.
    function _context(Game storage g, bytes32 startState, bytes32 rollupRoot, bytes32 endState)
        private
        view
        returns (StepContext memory ctx)
    {
        uint256 rollupId = g.rollupId;
        (Job storage j, Rollup storage r) = _rollup(rollupId);
        bytes32 c = keccak256(abi.encode(startState, rollupRoot, endState));
        if (c != r.commitment) revert ClaimMismatch(rollupId, r.commitment, c);
        StepFacts memory f = abi.decode(LibCodeData.read(j.stepFacts, STEP_FACTS_BYTES), (StepFacts));
        uint64 index = uint64(rollupId);
        ctx.jobId = rollupId >> 64;
        ctx.specHash = f.specHash;
        ctx.templateRoot = f.templateRoot;
        ctx.datasetRoot = f.datasetRoot;
        ctx.datasetSize = f.datasetSize;
        ctx.nodeCount = j.nodeCount;
        ctx.dropoutLayers = j.dropoutLayers;
        ctx.toleranceProfile = j.toleranceProfile;
        ctx.nonce = f.nonce;
        ctx.trainerKeyHash = f.trainerKeyHash;
        ctx.rollupId = rollupId;
        ctx.rollupIndex = index;
        ctx.startState = startState;
        ctx.rollupRoot = rollupRoot;
        ctx.endState = endState;
        ctx.firstStep = index * f.rollupSteps;
        ctx.iterations = _iterationsFrom(f.rollupSteps, f.stepsTotal, ctx.firstStep);
        ctx.iteration = g.iteration;
        ctx.step = ctx.firstStep + g.iteration;
    }

    // =================================================================================================================
    // Internals: resolution and money
    // =================================================================================================================

    /// @dev Decides a game (once: callers reach it through `_live`). Only the verdict: the one-step transaction stays
    /// within its gas limit whoever wins (ADR 0010).
    function _decide(uint256 gameId, Game storage g, bool challengerWins) private {
        // INVARIANT: a game has exactly one outcome; the status leaves InProgress here and nowhere else.
        GameStatus outcome = challengerWins ? GameStatus.ChallengerWon : GameStatus.TrainerWon;
        g.status = outcome;
        emit GameDecided(gameId, g.rollupId, outcome);
    }

    /// @dev Settles a decided game (once: `resolve` checks and sets its flag).
    function _resolve(uint256 gameId, Game storage g, bool challengerWins) private {
        uint256 rollupId = g.rollupId;
        (Job storage j, Rollup storage r) = _rollup(rollupId);
        address challenger = g.challenger;
        // The rollup counts a game open until it is resolved: a decided game still blocks its finalization.
        r.openGames -= 1;
        j.openGames -= 1;
        emit GameResolved(gameId, rollupId, g.status);
        uint256 bond = j.challengerBond;
        if (challengerWins) {
            _payFromBonds(challenger, bond, CreditReason.ChallengerBondReturned);
            _reject(j, r, rollupId, gameId);
            uint64 id = uint64(gameId);
            if (r.firstOpenedWin == 0 || id < r.firstOpenedWin) r.firstOpenedWin = id;
            // The award goes to the rollup of the first verdict against the trainer, to its earliest-opened winner,
            // whatever the order of the resolutions (docs/GAME.md §5.1): a game that a caught trainer loses on
            // purpose after a real verdict, on any rollup, is decided later and cannot take it.
            if (!j.trainerSlashed) {
                j.trainerSlashed = true;
                j.firstWin = id;
            } else {
                uint64 first = j.firstWin;
                if (first != 0 && _decidedBefore(g, id, _games[first], first)) j.firstWin = id;
            }
        } else {
            _payFromBonds(j.trainerSlashed ? j.requester : j.trainer, bond, CreditReason.ChallengerBondForfeited);
        }
        // INVARIANT: the award is paid once, when no game of the job is unresolved: every verdict that could come first,
        // and every earlier-opened game of that rollup, has been settled.
        uint64 firstWin = j.firstWin;
        if (firstWin != 0 && j.openGames == 0) {
            j.firstWin = 0;
            uint64 awardTo = _awardTo(firstWin);
            // Half to the winner, the rest to the requester: a trainer that challenges itself to recover its own
            // bond through the earliest-opened rule still loses half of it (docs/GAME.md §6).
            uint256 award = j.trainerBond / 2;
            _payFromBonds(_games[awardTo].challenger, award, CreditReason.TrainerBondAwarded);
            _payFromBonds(j.requester, j.trainerBond - award, CreditReason.TrainerBondForfeited);
        }
    }

    /// @dev The game half the trainer's bond goes to: the earliest-opened challenger-won game of the rollup of the first
    /// verdict `firstWin` (docs/GAME.md §5.1).
    function _awardTo(uint64 firstWin) private view returns (uint64) {
        return _rollups[_games[firstWin].rollupId].firstOpenedWin;
    }

    /// @dev Whether game `a` was decided before game `b` (both decided): by the time of the verdict, which the verdict
    /// stamped as the clock's last move; in the same second, the earlier-opened first.
    function _decidedBefore(Game storage a, uint64 aId, Game storage b, uint64 bId) private view returns (bool) {
        uint64 ta = a.clock.lastMove();
        uint64 tb = b.clock.lastMove();
        return ta < tb || (ta == tb && aId < bId);
    }

    /// @dev Rejects a rollup and every later rollup of its job; refunds the requester the reward not yet earned.
    function _reject(Job storage j, Rollup storage r, uint256 rollupId, uint256 gameId) private {
        uint64 index = uint64(rollupId);
        if (r.status != RollupStatus.Rejected) {
            // INVARIANT: only a pending rollup is rejected (a game exists only on a rollup that was pending when it
            // opened, and a rollup with an open game cannot finalize).
            r.status = RollupStatus.Rejected;
            emit RollupRejected(rollupId, gameId);
        }
        if (index < j.deadFrom) _terminate(j, rollupId >> 64, index);
    }

    /// @dev Kills a job from rollup `index` on; refunds the requester the reward those rollups would have earned.
    function _terminate(Job storage j, uint256 jobId, uint64 index) private {
        j.deadFrom = index;
        j.status = JobStatus.Dead;
        emit JobTerminated(jobId, index);
        uint256 target = j.reward - _cumulativeReward(j, index);
        uint256 delta = target - j.refunded;
        j.refunded = uint128(target);
        _payFromEscrow(j.requester, delta, CreditReason.RewardRefunded);
    }

    /// @dev reward · min(n·rollupSteps, stepsTotal) / stepsTotal: what the first n rollups earn in all. Floors
    /// telescope, so the shares sum to the reward exactly (the last rollup takes the remainder).
    function _cumulativeReward(Job storage j, uint64 n) private view returns (uint256) {
        uint256 steps = _min(uint256(n) * j.rollupSteps, j.stepsTotal);
        // reward < 2^128, steps < 2^64: no overflow.
        return uint256(j.reward) * steps / j.stepsTotal;
    }

    function _payFromEscrow(address to, uint256 amount, CreditReason reason) private {
        if (amount == 0) return;
        totalEscrow -= amount;
        _credit(to, amount, reason);
    }

    function _payFromBonds(address to, uint256 amount, CreditReason reason) private {
        totalBonds -= uint128(amount); // amount is a uint128 bond
        _credit(to, amount, reason);
    }

    /// @dev Writes the 1-wei sentinel of `a`'s credit slot (worth nothing: `credits` is the slot minus one) when an
    /// account takes a role (requester, trainer, challenger), so that the credits of a resolution never pay the
    /// zero → non-zero write (~22k gas each) inside the one-step transaction; the role's own transaction pays it once.
    function _touchCredit(address a) private {
        if (_credits[a] == 0) _credits[a] = 1;
    }

    function _credit(address to, uint256 amount, CreditReason reason) private {
        uint256 c = _credits[to];
        _credits[to] = (c == 0 ? 1 : c) + amount;
        // amount < 2^128 (a bond or a share of a uint128 reward); the sum of all credits <= the contract's balance.
        totalCredits += uint128(amount);
        emit Credited(to, amount, reason);
    }

    // =================================================================================================================
    // Internals: lookups
    // =================================================================================================================

    function _job(uint256 jobId) private view returns (Job storage j) {
        j = _jobs[jobId];
        if (j.status == JobStatus.None) revert UnknownJob(jobId);
    }

    function _rollup(uint256 rollupId) private view returns (Job storage j, Rollup storage r) {
        r = _rollups[rollupId];
        if (r.status == RollupStatus.None) revert UnknownRollup(rollupId);
        j = _jobs[rollupId >> 64];
    }

    function _rollupStatus(Job storage j, Rollup storage r, uint64 index) private view returns (RollupStatus s) {
        s = r.status;
        if (s == RollupStatus.Pending && index >= j.deadFrom) s = RollupStatus.Rejected;
    }

    function _requireJobStatus(uint256 jobId, Job storage j, JobStatus expected) private view {
        JobStatus s = j.status;
        if (s != expected) revert JobNotInStatus(jobId, expected, s);
    }

    /// @dev Iterations of rollup `index`: rollupSteps, or what remains of stepsTotal for the last one.
    function _iterations(Job storage j, uint64 index) private view returns (uint64) {
        uint64 rollupSteps = j.rollupSteps;
        return _iterationsFrom(rollupSteps, j.stepsTotal, uint256(index) * rollupSteps);
    }

    /// @dev The same from the job's two fields and the rollup's first step (the step has them from its facts).
    function _iterationsFrom(uint64 rollupSteps, uint64 stepsTotal, uint256 firstStep) private pure returns (uint64) {
        return uint64(_min(rollupSteps, stepsTotal - firstStep));
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
