// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title LibBlsVrf
/// @notice BLS12-381 min-sig used as a VRF (docs/SPEC.md §4), the on-chain twin of packages/core/src/vrf.ts.
///
///   x   = sha256("REFEREED-V1-CTX" || modelId || u64be(step) || u64be(batchId) || nonce || u32be(layerId))
///   pi  = sk·H1(x)            128-byte EIP-2537 G1 encoding
///   PK  = sk·G2               256-byte EIP-2537 G2 encoding
///   y   = sha256(pi)
///   valid  <=>  e(pi, −G2) · e(H1(x), PK) == 1          (one PAIRING call, 2 pairs)
///
/// H1 is RFC 9380 hash_to_curve (BLS12381G1_XMD:SHA-256_SSWU_RO_): expand_message_xmd with SHA-256 to 128 bytes,
/// two 64-byte integers reduced mod p with MODEXP (exponent 1), MAP_FP_TO_G1 on each (the precompile clears the
/// cofactor; clearing is a homomorphism, so clear(Q0) + clear(Q1) = clear(Q0 + Q1) as in the RFC), then G1ADD.
///
/// EIP-2537 layout of one field element (64 bytes) as two memory words:
///
///   | word 0: 16 zero bytes | 16 high bytes of v |   word 1: 32 low bytes of v   |
///
/// Fail closed: every precompile call checks success and the output length, since a chain without EIP-2537
/// answers a call to 0x0b..0x11 with success and empty output.
library LibBlsVrf {
    /// @notice Which encoded input a diagnostic refers to.
    enum BlsInput {
        PublicKey,
        Signature
    }

    /// @notice Outcome of a check. The zero value is success; every other value names the first defect found.
    enum VrfStatus {
        Valid,
        BadLength,
        NonzeroPadding,
        FieldNotReduced,
        Infinity,
        PointRejected, // the PAIRING precompile refused a point: not on the curve or outside the subgroup
        PairingMismatch
    }

    /// @notice A precompile call failed or returned an output of the wrong length (e.g. no EIP-2537 on this chain).
    error BlsPrecompileFailed(address precompile);
    /// @notice Not enough gas left to give the pairing its full price (a starved call must never read as "invalid").
    error BlsInsufficientGas(uint256 available, uint256 required);
    /// @notice `input` does not have the required byte length.
    error BlsInvalidLength(BlsInput input, uint256 expected, uint256 actual);
    /// @notice One of the 16 leading bytes of the field element at byte `offset` of `input` is not zero.
    error BlsFieldPaddingNonZero(BlsInput input, uint256 offset);
    /// @notice The field element at byte `offset` of `input` is >= p.
    error BlsFieldNotReduced(BlsInput input, uint256 offset);
    /// @notice `input` is the point at infinity (all zeros).
    error BlsPointAtInfinity(BlsInput input);
    /// @notice The PAIRING precompile refused the public key or the signature (off the curve or outside the subgroup).
    error BlsPointRejected();
    /// @notice Well-formed inputs, but the pairing equation does not hold for context `x`.
    error BlsVrfProofMismatch(bytes32 x);
    /// @notice Well-formed inputs, but `pop` is not a proof of possession of the key.
    error BlsPopMismatch();

    address internal constant G1ADD = address(0x0b);
    address internal constant PAIRING = address(0x0f);
    address internal constant MAP_FP_TO_G1 = address(0x10);
    address internal constant MODEXP = address(0x05);

    uint256 internal constant G1_LENGTH = 128;
    uint256 internal constant G2_LENGTH = 256;

    /// @dev EIP-2537 price of a 2-pair pairing: 32600·k + 37700. Exactly this much gas is forwarded, so that a
    ///      refused point burns only the price of the call and not 63/64 of the caller's gas.
    uint256 internal constant PAIRING_2_GAS = 2 * 32_600 + 37_700;

    /// @dev DST || I2OSP(len(DST), 1): the DST_prime of RFC 9380 §5.3.1 (both DSTs are 47 = 0x2f bytes).
    bytes internal constant VRF_DST_PRIME = "REFEREED-V1-VRF_BLS12381G1_XMD:SHA-256_SSWU_RO_\x2f";
    bytes internal constant POP_DST_PRIME = "REFEREED-V1-POP_BLS12381G1_XMD:SHA-256_SSWU_RO_\x2f";

    /// @dev The field modulus p in the EIP-2537 layout: P_HI = word 0 (16 zero bytes, 16 high bytes), P_LO = word 1.
    uint256 internal constant P_HI = 0x000000000000000000000000000000001a0111ea397fe69a4b1ba7b6434bacd7;
    uint256 internal constant P_LO = 0x64774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab;

    /// @dev −G2 (the negated generator of G2), EIP-2537 encoding.
    bytes internal constant NEG_G2 = hex"00000000000000000000000000000000024aa2b2f08f0a91260805272dc51051"
        hex"c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
        hex"0000000000000000000000000000000013e02b6052719f607dacd3a088274f65"
        hex"596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
        hex"000000000000000000000000000000000d1b3cc2c7027888be51d9ef691d77bc"
        hex"b679afda66c73f17f9ee3837a55024f78c71363275a75d75d86bab79f74782aa"
        hex"0000000000000000000000000000000013fa4d4a0ad8b1ce186ed5061789213d"
        hex"993923066dddaf1040bc3ff59f825c78df74f2d75467e25e0f55f8a00fa030ed";

    /// @dev The generator of G1, EIP-2537 encoding (used only to probe the pairing precompile after a failure).
    bytes internal constant G1_GENERATOR = hex"0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0f"
        hex"c3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
        hex"0000000000000000000000000000000008b3f481e3aaa0f1a09e30ed741d8ae4"
        hex"fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1";

    // ───────────────────────────── context and output ─────────────────────────────

    /// @notice The VRF context x of one dropout layer (SPEC §4): 99-byte preimage, SHA-256.
    function context(bytes32 modelId, uint64 step, uint64 batchId, bytes32 nonce, uint32 layerId)
        internal
        pure
        returns (bytes32)
    {
        return sha256(abi.encodePacked("REFEREED-V1-CTX", modelId, step, batchId, nonce, layerId));
    }

    /// @notice The VRF output y = sha256(pi) over the 128-byte encoding of pi.
    function output(bytes memory pi) internal pure returns (bytes32) {
        return sha256(pi);
    }

    // ───────────────────────────── VRF verification ─────────────────────────────

    /// @notice Status of the VRF proof `pi` of context `x` under `pk`; never reverts on a bad pk or pi.
    /// @dev Reverts only when the chain cannot run the check (missing precompile, too little gas): fail closed.
    function check(bytes memory pk, bytes32 x, bytes memory pi) internal view returns (VrfStatus status) {
        (status,,) = _check(pk, abi.encodePacked(x), VRF_DST_PRIME, pi);
    }

    /// @notice True iff `pi` is the VRF proof of `x` under `pk`.
    function verify(bytes memory pk, bytes32 x, bytes memory pi) internal view returns (bool) {
        return check(pk, x, pi) == VrfStatus.Valid;
    }

    /// @notice Returns y = sha256(pi) if `pi` is the VRF proof of `x` under `pk`, reverts with the defect otherwise.
    function verifyOrRevert(bytes memory pk, bytes32 x, bytes memory pi) internal view returns (bytes32 y) {
        (VrfStatus status, BlsInput input, uint256 detail) = _check(pk, abi.encodePacked(x), VRF_DST_PRIME, pi);
        if (status == VrfStatus.PairingMismatch) revert BlsVrfProofMismatch(x);
        _revertOnDefect(status, input, detail);
        return sha256(pi);
    }

    // ───────────────────────────── proof of possession ─────────────────────────────

    /// @notice Status of the proof of possession `pop` of `pk`: pop = sk·H1'(pk) under the POP DST.
    function checkPop(bytes memory pk, bytes memory pop) internal view returns (VrfStatus status) {
        (status,,) = _check(pk, pk, POP_DST_PRIME, pop);
    }

    /// @notice Reverts with the defect unless `pop` is a proof of possession of `pk`.
    function verifyPopOrRevert(bytes memory pk, bytes memory pop) internal view {
        (VrfStatus status, BlsInput input, uint256 detail) = _check(pk, pk, POP_DST_PRIME, pop);
        if (status == VrfStatus.PairingMismatch) revert BlsPopMismatch();
        _revertOnDefect(status, input, detail);
    }

    // ───────────────────────────── hash to curve ─────────────────────────────

    /// @notice RFC 9380 hash_to_curve onto G1 with SHA-256 expand_message_xmd; `dstPrime` = DST || u8(len(DST)).
    /// @return point 128-byte EIP-2537 G1 encoding.
    function hashToG1(bytes memory message, bytes memory dstPrime) internal view returns (bytes memory point) {
        (bytes32 b1, bytes32 b2, bytes32 b3, bytes32 b4) = _expandMessageXmd128(message, dstPrime);
        bytes memory q0 = _mapToG1(_reduceModP(b1, b2));
        bytes memory q1 = _mapToG1(_reduceModP(b3, b4));
        point = _callPrecompile(G1ADD, abi.encodePacked(q0, q1), G1_LENGTH);
    }

    // ───────────────────────────── internals ─────────────────────────────

    /// @dev The common check of a VRF proof and of a PoP: e(sig, −G2) · e(H1(message), pk) == 1.
    ///      Returns the first defect, the input it concerns and a detail (byte offset, or 0).
    function _check(bytes memory pk, bytes memory message, bytes memory dstPrime, bytes memory sig)
        private
        view
        returns (VrfStatus, BlsInput, uint256)
    {
        (VrfStatus s, uint256 detail) = _encodingStatus(pk, G2_LENGTH);
        if (s != VrfStatus.Valid) return (s, BlsInput.PublicKey, detail);
        (s, detail) = _encodingStatus(sig, G1_LENGTH);
        if (s != VrfStatus.Valid) return (s, BlsInput.Signature, detail);

        bytes memory h = hashToG1(message, dstPrime);
        bytes memory input = abi.encodePacked(sig, NEG_G2, h, pk);

        // INVARIANT: the pairing gets its full EIP-2537 price, so a failed call means a refused point and never
        // a starved call (otherwise a caller could make an honest proof "fail" by sending too little gas).
        uint256 required = PAIRING_2_GAS + PAIRING_2_GAS / 32;
        if (gasleft() < required) revert BlsInsufficientGas(gasleft(), required);
        (bool ok, bytes memory out) = PAIRING.staticcall{gas: PAIRING_2_GAS}(input);
        if (!ok) {
            _probePairing();
            return (VrfStatus.PointRejected, BlsInput.Signature, 0);
        }
        // INVARIANT: a chain without EIP-2537 returns success with empty output: fail closed.
        if (out.length != 32) revert BlsPrecompileFailed(PAIRING);
        if (uint256(bytes32(out)) != 1) return (VrfStatus.PairingMismatch, BlsInput.Signature, 0);
        return (VrfStatus.Valid, BlsInput.Signature, 0);
    }

    /// @dev After a failed pairing: runs a pairing on known-valid points with the same gas. If that fails too, the
    ///      precompile (or its price) is not what this library assumes, and the failure must not be blamed on the
    ///      inputs: revert. Only reached on the failure path.
    function _probePairing() private view {
        bytes memory probe = abi.encodePacked(G1_GENERATOR, NEG_G2, G1_GENERATOR, NEG_G2);
        (bool ok, bytes memory out) = PAIRING.staticcall{gas: PAIRING_2_GAS}(probe);
        if (!ok || out.length != 32) revert BlsPrecompileFailed(PAIRING);
    }

    /// @dev Length, canonical field elements (16 zero bytes, value < p) and not-infinity of one encoded point.
    ///      Curve and subgroup membership are left to the PAIRING precompile, which enforces both.
    function _encodingStatus(bytes memory enc, uint256 length) private pure returns (VrfStatus, uint256) {
        // INVARIANT: exact EIP-2537 length (128 for G1, 256 for G2).
        if (enc.length != length) return (VrfStatus.BadLength, enc.length);
        uint256 orAll;
        for (uint256 off; off < length;) {
            uint256 hi = _word(enc, off);
            uint256 lo = _word(enc, off + 32);
            // INVARIANT: the 16 leading bytes of every field element are zero.
            if (hi >> 128 != 0) return (VrfStatus.NonzeroPadding, off);
            // INVARIANT: every field element is < p (compare the 48-byte values as (hi, lo) pairs).
            if (hi > P_HI || (hi == P_HI && lo >= P_LO)) return (VrfStatus.FieldNotReduced, off);
            orAll |= hi | lo;
            // off < length <= 256 here, so off + 64 cannot overflow.
            unchecked {
                off += 64;
            }
        }
        // INVARIANT: the point at infinity is refused (the pairing precompile would accept it as neutral).
        if (orAll == 0) return (VrfStatus.Infinity, 0);
        return (VrfStatus.Valid, 0);
    }

    function _revertOnDefect(VrfStatus status, BlsInput input, uint256 detail) private pure {
        if (status == VrfStatus.Valid) return;
        if (status == VrfStatus.BadLength) {
            revert BlsInvalidLength(input, input == BlsInput.PublicKey ? G2_LENGTH : G1_LENGTH, detail);
        }
        if (status == VrfStatus.NonzeroPadding) revert BlsFieldPaddingNonZero(input, detail);
        if (status == VrfStatus.FieldNotReduced) revert BlsFieldNotReduced(input, detail);
        if (status == VrfStatus.Infinity) revert BlsPointAtInfinity(input);
        // PointRejected (PairingMismatch is handled by the callers, which know what was being verified)
        revert BlsPointRejected();
    }

    /// @dev expand_message_xmd (RFC 9380 §5.3.1), SHA-256, len_in_bytes = 128 (ell = 4): returns b_1..b_4.
    ///      b_i = H(strxor(b_0, b_{i-1}) || I2OSP(i, 1) || DST_prime) reuses one buffer whose first 33 bytes are
    ///      overwritten in place (measured: ~600 gas less per call than three more abi.encodePacked buffers).
    function _expandMessageXmd128(bytes memory message, bytes memory dstPrime)
        private
        pure
        returns (bytes32 b1, bytes32 b2, bytes32 b3, bytes32 b4)
    {
        // msg_prime = Z_pad(64) || msg || I2OSP(128, 2) || I2OSP(0, 1) || DST_prime
        bytes32 b0 = sha256(abi.encodePacked(bytes32(0), bytes32(0), message, uint16(128), uint8(0), dstPrime));
        bytes memory buf = abi.encodePacked(b0, uint8(1), dstPrime);
        b1 = sha256(buf);
        _rewriteBlockInput(buf, b0 ^ b1, 2);
        b2 = sha256(buf);
        _rewriteBlockInput(buf, b0 ^ b2, 3);
        b3 = sha256(buf);
        _rewriteBlockInput(buf, b0 ^ b3, 4);
        b4 = sha256(buf);
    }

    /// @dev buf[0:32] = chained, buf[32] = i. Assembly: Solidity has no in-place write of a word into bytes memory;
    ///      `buf` is at least 33 bytes long (built above), so both writes stay inside it.
    function _rewriteBlockInput(bytes memory buf, bytes32 chained, uint8 i) private pure {
        assembly ("memory-safe") {
            mstore(add(buf, 32), chained)
            mstore8(add(buf, 64), i)
        }
    }

    /// @dev OS2IP(hi || lo) mod p with MODEXP (base^1 mod p), returned as a 64-byte EIP-2537 field element.
    function _reduceModP(bytes32 hi, bytes32 lo) private view returns (bytes memory) {
        return _callPrecompile(
            MODEXP,
            abi.encodePacked(uint256(64), uint256(1), uint256(64), hi, lo, uint8(1), P_HI, P_LO),
            64
        );
    }

    function _mapToG1(bytes memory fp) private view returns (bytes memory) {
        return _callPrecompile(MAP_FP_TO_G1, fp, G1_LENGTH);
    }

    /// @dev A call whose inputs are valid by construction: any failure or a wrong output length is the chain's.
    function _callPrecompile(address precompile, bytes memory input, uint256 outLength)
        private
        view
        returns (bytes memory out)
    {
        bool ok;
        (ok, out) = precompile.staticcall(input);
        // INVARIANT: success and the exact output length, so a chain without the precompile fails closed.
        if (!ok || out.length != outLength) revert BlsPrecompileFailed(precompile);
    }

    /// @dev The 32-byte word at byte `off` of `b`. Assembly because Solidity cannot slice `bytes memory`;
    ///      callers keep `off + 32 <= b.length` (checked lengths above).
    function _word(bytes memory b, uint256 off) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(add(add(b, 32), off))
        }
    }
}
