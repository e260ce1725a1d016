/// What a Monte Carlo generation job produces (WMCore's MC EventBased job mask plus the output modules).
public struct GenerateRequest: Sendable, Hashable {
    /// The run number (WMCore's production default is 1).
    public var run: UInt32
    /// First event number (inclusive).
    public var firstEvent: UInt64
    /// Last event number (inclusive).
    public var lastEvent: UInt64
    /// The lumi section of `firstEvent`.
    public var firstLumi: UInt32
    /// The job's last lumi, if known: generation fails if the events would spill past it.
    public var lastLumi: UInt32?
    /// Events per lumi section.
    public var eventsPerLumi: UInt64
    /// Seed of the trigger bits (the same seed and event always give the same bits).
    public var seed: UInt64
    /// Payload bytes per event.
    public var payloadSize: Int
    /// The output modules.
    public var outputs: [OutputModule]

    /// Makes a request.
    public init(run: UInt32 = 1, firstEvent: UInt64, lastEvent: UInt64, firstLumi: UInt32, lastLumi: UInt32? = nil,
                eventsPerLumi: UInt64, seed: UInt64 = 0, payloadSize: Int = EventOperations.defaultPayloadSize,
                outputs: [OutputModule]) {
        self.run = run
        self.firstEvent = firstEvent
        self.lastEvent = lastEvent
        self.firstLumi = firstLumi
        self.lastLumi = lastLumi
        self.eventsPerLumi = eventsPerLumi
        self.seed = seed
        self.payloadSize = payloadSize
        self.outputs = outputs
    }

    /// The lumi section of event `event`.
    public func lumi(of event: UInt64) -> UInt32 {
        firstLumi + UInt32((event - firstEvent) / eventsPerLumi)
    }

    /// The trigger bits of `event` under `seed`: each of the 64 bits is set with probability 1/4.
    public static func triggerBits(seed: UInt64, event: UInt64) -> UInt64 {
        let a = SplitMix64.mix(seed ^ SplitMix64.mix(event))
        return a & SplitMix64.mix(a ^ 0xD6E8_FEB8_6659_FD93)
    }

    /// The full record of `event`.
    func record(for event: UInt64) -> EventRecord {
        EventRecord(run: run, lumi: lumi(of: event), event: event, triggerBits: Self.triggerBits(seed: seed, event: event))
    }

    /// Checks the event range, lumis and payload size; names the offending field.
    func validate() throws {
        guard lastEvent >= firstEvent else {
            throw EventFileError.invalidRequest(field: "lastEvent", expected: "≥ firstEvent \(firstEvent), got \(lastEvent)")
        }
        guard eventsPerLumi > 0 else { throw EventFileError.invalidRequest(field: "eventsPerLumi", expected: "> 0, got 0") }
        let lumiSpan = (lastEvent - firstEvent) / eventsPerLumi
        guard lumiSpan <= UInt64(UInt32.max - firstLumi) else {
            throw EventFileError.invalidRequest(field: "firstLumi", expected: "lumis that fit in 32 bits up to event \(lastEvent)")
        }
        if let lastLumi, lumi(of: lastEvent) > lastLumi {
            throw EventFileError.invalidRequest(field: "lastLumi",
                                                expected: "≥ \(lumi(of: lastEvent)) (lumi of event \(lastEvent) at \(eventsPerLumi) events per lumi), got \(lastLumi)")
        }
        guard (0...EventFileFormat.maxPayloadSize).contains(payloadSize) else {
            throw EventFileError.invalidRequest(field: "payloadSize", expected: "0...\(EventFileFormat.maxPayloadSize), got \(payloadSize)")
        }
    }
}
