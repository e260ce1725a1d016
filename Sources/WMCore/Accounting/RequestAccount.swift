import JobSplitting

/// The account of one output dataset of a request: what was expected, what is in the output, what ACDC holds
/// for resubmission, and the difference (lumi sections missing without an ACDC record, and anything doubled).
///
/// Lumis are compared with their events: a lumi whose output holds fewer events than expected is short (it
/// counts as missing unless ACDC holds it), one holding more is duplicated, and an output lumi nobody
/// asked for is duplicated too (it came from outside the input's white/black lists and LumiList). Where
/// the expected events of a lumi are unknown (the catalog has no per-lumi counts), or the output module
/// filters events, only its presence is compared.
public struct DatasetAccount: Codable, Hashable, Sendable {
    /// The output dataset.
    public var dataset: String
    /// The task writing it.
    public var task: String
    /// Lumis expected.
    public var expectedLumis: Int
    /// Events expected (those of lumis with known counts).
    public var expectedEvents: Int
    /// Distinct lumis in the output.
    public var outputLumis: Int
    /// Events the output holds.
    public var outputEvents: Int
    /// Expected lumis short in the output that ACDC holds for resubmission (compact `run:first-last` ranges).
    public var acdcLumis: [String]
    /// Events those lumis lack.
    public var acdcEvents: Int
    /// Expected lumis short in the output with no ACDC record (compact `run:first-last` ranges).
    public var missingLumis: [String]
    /// Events those lumis lack.
    public var missingEvents: Int
    /// Lumis with more events than expected or not expected at all.
    public var duplicatedLumis: [String]
    /// The excess events.
    public var duplicatedEvents: Int
    /// Expected lumis short in the output of a force-completed request, with no ACDC record: work the operator
    /// accepted to leave out (compact `run:first-last` ranges). Empty for every other request.
    public var leftOutLumis: [String] = []
    /// Events those lumis lack.
    public var leftOutEvents: Int = 0

    /// Nothing missing, nothing doubled, nothing left in ACDC, nothing left out.
    public var isComplete: Bool { acdcLumis.isEmpty && missingLumis.isEmpty && duplicatedLumis.isEmpty && leftOutLumis.isEmpty }
}

extension DatasetAccount {
    enum CodingKeys: String, CodingKey {
        case dataset, task, expectedLumis, expectedEvents, outputLumis, outputEvents, acdcLumis, acdcEvents, missingLumis, missingEvents
        case duplicatedLumis, duplicatedEvents, leftOutLumis, leftOutEvents
    }

    /// Decodes an account; one kept before force-complete was accounted has no left-out lumis.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(dataset: try c.decode(String.self, forKey: .dataset), task: try c.decode(String.self, forKey: .task),
                  expectedLumis: try c.decode(Int.self, forKey: .expectedLumis), expectedEvents: try c.decode(Int.self, forKey: .expectedEvents),
                  outputLumis: try c.decode(Int.self, forKey: .outputLumis), outputEvents: try c.decode(Int.self, forKey: .outputEvents),
                  acdcLumis: try c.decode([String].self, forKey: .acdcLumis), acdcEvents: try c.decode(Int.self, forKey: .acdcEvents),
                  missingLumis: try c.decode([String].self, forKey: .missingLumis), missingEvents: try c.decode(Int.self, forKey: .missingEvents),
                  duplicatedLumis: try c.decode([String].self, forKey: .duplicatedLumis),
                  duplicatedEvents: try c.decode(Int.self, forKey: .duplicatedEvents),
                  leftOutLumis: try c.decodeIfPresent([String].self, forKey: .leftOutLumis) ?? [],
                  leftOutEvents: try c.decodeIfPresent(Int.self, forKey: .leftOutEvents) ?? 0)
    }
}

/// The account of a request's outputs (issue 16): computed by the task archiver when the request's work is
/// done and kept with it (`archive/accounts/<request>.json`), recomputed by `wmctl request account`.
public struct RequestAccount: Codable, Hashable, Sendable {
    /// How a request's outputs stand.
    public enum Verdict: String, Codable, Sendable {
        /// Every expected lumi and event is in every output once.
        case complete
        /// Some work is missing but all of it is recorded in ACDC (`wmctl request resubmit` recovers it).
        case incomplete
        /// Work is missing without an ACDC record, or something is doubled: the output cannot be trusted.
        case inconsistent
        /// The operator force-completed the request and accepted its output as it is: the work never started
        /// is left out (neither missing nor in ACDC); everything that is in the output is there once.
        case forceCompleted = "force-completed"
    }

    /// The request.
    public var request: String
    /// When it was computed (seconds since the epoch).
    public var computedAt: Double
    /// One entry per output dataset.
    public var datasets: [DatasetAccount]
    /// Lumis the task archiver found missing without a record and recorded in ACDC when it closed the request.
    public var recordedAtClose: [String]

    /// Makes an account.
    public init(request: String, computedAt: Double, datasets: [DatasetAccount], recordedAtClose: [String] = []) {
        self.request = request
        self.computedAt = computedAt
        self.datasets = datasets
        self.recordedAtClose = recordedAtClose
    }

    /// The verdict over every dataset.
    public var verdict: Verdict {
        if datasets.contains(where: { !$0.missingLumis.isEmpty || !$0.duplicatedLumis.isEmpty }) { return .inconsistent }
        if datasets.contains(where: { !$0.acdcLumis.isEmpty }) { return .incomplete }
        if datasets.contains(where: { !$0.leftOutLumis.isEmpty }) { return .forceCompleted }
        return .complete
    }

    /// The output may be announced: complete, or accepted as it is by a force-complete.
    public var isAccepted: Bool { verdict == .complete || verdict == .forceCompleted }

    /// The account as text, one block per dataset.
    public var text: String {
        var lines = ["account of \(request): \(verdict.rawValue.uppercased())"]
        if !recordedAtClose.isEmpty {
            lines.append("  missing without an ACDC record when the request closed, recorded then: \(recordedAtClose.joined(separator: " "))")
        }
        for d in datasets {
            lines.append("  \(d.dataset)  (\(d.task))")
            lines.append("    expected \(d.expectedLumis) lumis, \(d.expectedEvents) events; output \(d.outputLumis) lumis, \(d.outputEvents) events")
            if !d.acdcLumis.isEmpty { lines.append("    in ACDC: \(d.acdcLumis.count) range(s), \(d.acdcEvents) events: \(Self.clip(d.acdcLumis))") }
            if !d.missingLumis.isEmpty { lines.append("    MISSING without ACDC record: \(d.missingEvents) events: \(Self.clip(d.missingLumis))") }
            if !d.duplicatedLumis.isEmpty { lines.append("    DUPLICATED: \(d.duplicatedEvents) events: \(Self.clip(d.duplicatedLumis))") }
            if !d.leftOutLumis.isEmpty {
                lines.append("    left out by force-complete (accepted by the operator, not in ACDC): \(d.leftOutEvents) events: \(Self.clip(d.leftOutLumis))")
            }
            if d.isComplete { lines.append("    every expected lumi and event once") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func clip(_ ranges: [String]) -> String {
        ranges.count <= 12 ? ranges.joined(separator: " ") : ranges.prefix(12).joined(separator: " ") + " … (\(ranges.count) ranges)"
    }

    /// Compares one dataset's output with what was expected and what ACDC holds.
    ///
    /// - Parameters:
    ///   - expected: the expected lumis with their events (nil: unknown).
    ///   - output: the lumis of every output file of the dataset with their events (a lumi may be in several files).
    ///   - acdc: the lumis ACDC holds for the task writing the dataset or a task above it.
    ///   - compareEvents: false where the output module filters events (only presence is compared).
    ///   - forceCompleted: the request was force-completed: lumis short without an ACDC record are left out, not missing.
    public static func account(dataset: String, task: String, expected: [LumiSection], output: [LumiSection], acdc: Set<LumiKey>,
                               compareEvents: Bool, forceCompleted: Bool = false) -> DatasetAccount {
        var want: [LumiKey: Int?] = [:]
        for lumi in expected { want[LumiKey(lumi)] = lumi.events }
        var have: [LumiKey: Int] = [:]
        for lumi in output { have[LumiKey(lumi), default: 0] &+= max(0, lumi.events ?? 0) }
        var inACDC: [LumiKey] = [], missing: [LumiKey] = [], duplicated: [LumiKey] = []
        var acdcEvents = 0, missingEvents = 0, duplicatedEvents = 0, expectedEvents = 0
        for (key, events) in want {
            expectedEvents &+= events ?? 0
            let got = have[key]
            var lacking = 0
            if let events, compareEvents { lacking = max(0, events - (got ?? 0)) }
            if got == nil || lacking > 0 {
                let gap = got == nil ? (events ?? 0) : lacking
                if acdc.contains(key) { inACDC.append(key); acdcEvents &+= gap } else { missing.append(key); missingEvents &+= gap }
            }
            if let events, let got, compareEvents, got > events { duplicated.append(key); duplicatedEvents &+= got - events }
        }
        for (key, events) in have where want[key] == nil {
            duplicated.append(key)
            duplicatedEvents &+= events
        }
        let leftOut = forceCompleted ? missing : [], leftOutEvents = forceCompleted ? missingEvents : 0
        if forceCompleted { (missing, missingEvents) = ([], 0) }
        return DatasetAccount(dataset: dataset, task: task, expectedLumis: want.count, expectedEvents: expectedEvents,
                              outputLumis: have.count, outputEvents: have.values.reduce(0, &+),
                              acdcLumis: LumiKey.ranges(inACDC), acdcEvents: acdcEvents,
                              missingLumis: LumiKey.ranges(missing), missingEvents: missingEvents,
                              duplicatedLumis: LumiKey.ranges(duplicated), duplicatedEvents: duplicatedEvents,
                              leftOutLumis: LumiKey.ranges(leftOut), leftOutEvents: leftOutEvents)
    }

    /// The event ranges a generation task is expected to make, lumi by lumi: the events of `elements`
    /// (MonteCarlo element masks) split as the EventBased algorithm splits the MC fake file, each job's event
    /// `k` in lumi `FirstLumi + (k − FirstEvent) / events_per_lumi`, as the generator numbers them.
    public static func generatedSegments(elements: [JobMask], splitting: SplittingSpec) -> [(lumi: LumiKey, events: ClosedRange<Int>)] {
        let perJob = max(1, splitting.int("events_per_job") ?? 100)
        let perLumi = max(1, splitting.int("events_per_lumi") ?? perJob)
        let parameters = SplitParameters(["events_per_job": .int(perJob), "events_per_lumi": .int(perLumi)])
        var segments: [(lumi: LumiKey, events: ClosedRange<Int>)] = []
        for mask in elements {
            guard let first = mask.firstEvent, let last = mask.lastEvent, last >= first else { continue }
            let firstLumi = mask.firstLumi ?? 1
            let run = mask.firstRun ?? 1
            let fake = SplitFile(lfn: "MCFakeFile-account", events: last - first + 1, firstEvent: first, lastEvent: last,
                                 runs: [FileRun(run: run, lumis: [firstLumi])])
            guard let outcome = try? JobSplitter.split(.eventBased, files: [fake], parameters: parameters,
                                                       context: SplitContext(subscriptionType: .production)) else { continue }
            for job in outcome.jobs {
                guard let a = job.mask.firstEvent, let b = job.mask.lastEvent, b >= a, let lumi = job.mask.firstLumi else { continue }
                var event = a
                var offset = 0
                while event <= b {
                    let n = min(perLumi, b - event + 1)
                    segments.append((LumiKey(run: run, lumi: lumi + offset), event...(event + n - 1)))
                    event += n
                    offset += 1
                }
            }
        }
        return segments
    }
}

/// A run and lumi section, without events: the key lumis are compared by.
public struct LumiKey: Hashable, Comparable, Sendable {
    /// The run number.
    public var run: Int
    /// The lumi section number.
    public var lumi: Int

    /// Makes a key.
    public init(run: Int, lumi: Int) {
        self.run = run
        self.lumi = lumi
    }

    /// The key of a lumi section.
    public init(_ lumi: LumiSection) { self.init(run: lumi.run, lumi: lumi.lumi) }

    /// Orders by run, then lumi.
    public static func < (a: LumiKey, b: LumiKey) -> Bool { (a.run, a.lumi) < (b.run, b.lumi) }

    /// Compact ranges, `run:first-last` (or `run:lumi`), sorted.
    public static func ranges(_ keys: [LumiKey]) -> [String] {
        var result: [String] = []
        var start: LumiKey?
        var end: LumiKey?
        func flush() {
            guard let s = start, let e = end else { return }
            result.append(s.lumi == e.lumi ? "\(s.run):\(s.lumi)" : "\(s.run):\(s.lumi)-\(e.lumi)")
        }
        for key in Set(keys).sorted() {
            if let e = end, e.run == key.run, e.lumi &+ 1 == key.lumi { end = key; continue }
            flush()
            start = key
            end = key
        }
        flush()
        return result
    }
}
