/// One event: where it sits (run, lumi section, event number) and which trigger paths it fired.
public struct EventRecord: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The run number.
    public var run: UInt32
    /// The luminosity section within the run.
    public var lumi: UInt32
    /// The event number within the run.
    public var event: UInt64
    /// One bit per trigger path; bit `i` set means the event fired path `i`.
    public var triggerBits: UInt64

    /// Makes a record.
    public init(run: UInt32, lumi: UInt32, event: UInt64, triggerBits: UInt64) {
        self.run = run
        self.lumi = lumi
        self.event = event
        self.triggerBits = triggerBits
    }

    /// Events are ordered by (run, lumi, event), then trigger bits, as a merged file stores them.
    public static func < (lhs: EventRecord, rhs: EventRecord) -> Bool {
        (lhs.run, lhs.lumi, lhs.event, lhs.triggerBits) < (rhs.run, rhs.lumi, rhs.event, rhs.triggerBits)
    }

    /// `RUN LUMI EVENT`, the line `wmctl catalog events` prints.
    public var description: String { "\(run) \(lumi) \(event)" }

    /// Whether the event passes a trigger selection: `mask == 0` keeps everything (the "All" path),
    /// otherwise the event must have fired at least one selected path (an OR over the paths).
    public func passes(triggerMask mask: UInt64) -> Bool {
        mask == 0 || (triggerBits & mask) != 0
    }
}

/// SplitMix64: a tiny, fast, well-mixed 64-bit generator. Used for payload bytes, trigger bits and
/// fault decisions because its output is the same on every machine and in every process (unlike
/// Swift's randomly seeded `Hasher`). Public so that programs that write event files (the storage-manager
/// simulator) draw their seeded choices from the same generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// The SplitMix64 finaliser: a bijective scramble of one 64-bit word.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension EventRecord {
    /// The seed of the record's payload bytes: every field of the record feeds it, so a damaged run,
    /// lumi, event or trigger field makes the payload check fail at that record.
    var payloadSeed: UInt64 {
        var h = SplitMix64.mix(UInt64(run) << 32 | UInt64(lumi))
        h = SplitMix64.mix(h ^ event)
        return SplitMix64.mix(h ^ triggerBits)
    }

    /// Fills `count` bytes at `buffer` with the record's deterministic payload.
    func fillPayload(_ buffer: UnsafeMutableRawPointer, count: Int) {
        var generator = SplitMix64(seed: payloadSeed)
        var offset = 0
        while offset + 8 <= count {
            buffer.storeBytes(of: generator.next().littleEndian, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        if offset < count {
            var last = generator.next()
            while offset < count {
                buffer.storeBytes(of: UInt8(truncatingIfNeeded: last), toByteOffset: offset, as: UInt8.self)
                last >>= 8
                offset += 1
            }
        }
    }
}

extension EventRecord {
    /// Writes the 24-byte fixed part (run, lumi, event, trigger bits; little-endian) at `buffer`.
    func storeFixedPart(_ buffer: UnsafeMutableRawPointer) {
        buffer.storeBytes(of: run.littleEndian, toByteOffset: 0, as: UInt32.self)
        buffer.storeBytes(of: lumi.littleEndian, toByteOffset: 4, as: UInt32.self)
        buffer.storeBytes(of: event.littleEndian, toByteOffset: 8, as: UInt64.self)
        buffer.storeBytes(of: triggerBits.littleEndian, toByteOffset: 16, as: UInt64.self)
    }

    /// Reads the 24-byte fixed part written by `storeFixedPart`.
    init(fixedPart bytes: UnsafeRawBufferPointer) {
        self.init(run: bytes.loadLittleEndian(UInt32.self, at: 0), lumi: bytes.loadLittleEndian(UInt32.self, at: 4),
                  event: bytes.loadLittleEndian(UInt64.self, at: 8), triggerBits: bytes.loadLittleEndian(UInt64.self, at: 16))
    }
}
