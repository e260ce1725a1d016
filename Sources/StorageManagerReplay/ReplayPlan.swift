import DynamicJSON
import EventFiles

/// What a replay writes: its shape (runs × streams × lumis from instances) and its disorders.
public struct ReplaySettings: Sendable, Hashable {
    /// How many runs (numbered `firstRun`, `firstRun + 1`, ...).
    public var runs: Int
    /// The first run's number.
    public var firstRun: Int
    /// Lumis per run (1...lumis).
    public var lumis: Int
    /// Storage-manager instances (numbered 1...instances); each writes one streamer file per lumi and stream.
    public var instances: Int
    /// Events in each streamer file (an oversized lumi's files hold `oversizeFactor` times more).
    public var eventsPerFile: Int
    /// Payload bytes per event.
    public var payloadBytes: Int
    /// The seed of every choice (trigger bits, empty lumis, shuffling, duplicates).
    public var seed: UInt64
    /// Publish each run's lumis in a shuffled order.
    public var shuffle: Bool
    /// Publish the last instance's documents after every other document.
    public var lateInstance: Bool
    /// Lumis per run (chosen by the seed, never an oversized one) for which no instance writes a file.
    public var emptyLumis: Int
    /// (run, lumi) pairs whose files hold `oversizeFactor` times more events.
    public var oversizedLumis: Set<RunLumi>
    /// Publish some documents (one in `duplicateEvery`, chosen by the seed) a second time, later.
    public var duplicate: Bool

    /// How many more events an oversized lumi's files hold.
    public static let oversizeFactor = 20
    /// About one document in this many is published twice with `duplicate`.
    public static let duplicateEvery = 8

    /// Makes settings; defaults give 1 run × 10 lumis from 2 instances, 10 events of 256 bytes per file.
    public init(runs: Int = 1, firstRun: Int = 100_001, lumis: Int = 10, instances: Int = 2, eventsPerFile: Int = 10,
                payloadBytes: Int = 256, seed: UInt64 = 1, shuffle: Bool = false, lateInstance: Bool = false, emptyLumis: Int = 0,
                oversizedLumis: Set<RunLumi> = [], duplicate: Bool = false) {
        self.runs = runs
        self.firstRun = firstRun
        self.lumis = lumis
        self.instances = instances
        self.eventsPerFile = eventsPerFile
        self.payloadBytes = payloadBytes
        self.seed = seed
        self.shuffle = shuffle
        self.lateInstance = lateInstance
        self.emptyLumis = emptyLumis
        self.oversizedLumis = oversizedLumis
        self.duplicate = duplicate
    }
}

/// A (run, lumi) pair.
public struct RunLumi: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The run.
    public var run: Int
    /// The lumi section.
    public var lumi: Int
    /// Makes a pair.
    public init(run: Int, lumi: Int) { self.run = run; self.lumi = lumi }
    /// Ordered by run, then lumi.
    public static func < (a: RunLumi, b: RunLumi) -> Bool { (a.run, a.lumi) < (b.run, b.lumi) }
    /// `RUN:LUMI`.
    public var description: String { "\(run):\(lumi)" }
}

/// One streamer file: where it goes and which events it holds (numbers `firstEvent...`, trigger bits from the seed).
public struct StreamerFile: Sendable, Hashable {
    /// The run.
    public var run: Int
    /// The lumi section.
    public var lumi: Int
    /// The stream.
    public var stream: String
    /// The storage-manager instance that wrote it.
    public var instance: Int
    /// The LFN (`/store/t0streamer/Data/<stream>/000/RRR/RRR/run<r>_ls<llll>_stream<S>_StorageManager<i>.dat`, §A.1 with
    /// the instance added so that several instances' files differ).
    public var lfn: String
    /// The first event's number (events are numbered per run).
    public var firstEvent: UInt64
    /// How many events.
    public var events: Int
    /// The size of the file in bytes.
    public var size: UInt64
}

/// One storage-manager document, as published in `t0/incoming/`.
public struct ReplayDocument: Sendable, Hashable {
    /// The file name it is published under (unique; sorts in publishing order).
    public var name: String
    /// The JSON object (`kind` and the Interface's fields).
    public var body: JSONValue
}

/// Everything a replay writes and what must come out of it, computed before anything is written (pure).
public struct ReplayPlan: Sendable {
    /// The menu the runs were taken with.
    public let menu: ReplayMenu
    /// The settings.
    public let settings: ReplaySettings
    /// The streamer files, in the order they are written.
    public private(set) var files: [StreamerFile] = []
    /// The documents, in publishing order (disorders applied; duplicates included).
    public private(set) var documents: [ReplayDocument] = []
    /// The lumis without any file, per run.
    public private(set) var emptyLumis: [Int: Set<Int>] = [:]

    /// Plans the replay; `dataDirectory` is the absolute folder the streamer files' paths start with.
    /// - Throws: `ReplayPlanError` when a setting is out of range or an oversized lumi is not among the runs' lumis.
    public init(menu: ReplayMenu, settings: ReplaySettings, dataDirectory: String) throws(ReplayPlanError) {
        self.menu = menu
        self.settings = settings
        try Self.check(settings)
        var generator = SplitMix64(seed: SplitMix64.mix(settings.seed ^ 0x5EED_0F_5EED))
        var shared: [JSONValue] = []
        var perInstance = [[JSONValue]](repeating: [], count: settings.instances)
        for run in settings.firstRun..<(settings.firstRun + settings.runs) {
            let empty = Self.chooseEmptyLumis(run: run, settings: settings, generator: &generator)
            emptyLumis[run] = empty
            shared.append(["kind": "run", "run": .int(run), "hltKey": .string(menu.hltKey), "cmssw": "CMSSW_15_0_0", "setupLabel": "Data"])
            var lumiOrder = Array(1...settings.lumis)
            if settings.shuffle { Self.shuffle(&lumiOrder, generator: &generator) }
            var nextEvent: UInt64 = 1
            var blocks: [Int: [[JSONValue]]] = [:]   // lumi → per instance documents
            for lumi in 1...settings.lumis {
                var lumiDocs = [[JSONValue]](repeating: [], count: settings.instances)
                let events = settings.eventsPerFile * (settings.oversizedLumis.contains(RunLumi(run: run, lumi: lumi)) ? ReplaySettings.oversizeFactor : 1)
                for stream in menu.streams {
                    for instance in 1...settings.instances {
                        var count = 0
                        if !empty.contains(lumi) {
                            let file = StreamerFile(run: run, lumi: lumi, stream: stream.name, instance: instance,
                                                    lfn: Self.lfn(run: run, lumi: lumi, stream: stream.name, instance: instance),
                                                    firstEvent: nextEvent, events: events,
                                                    size: EventFileFormat.fileSize(events: UInt64(events), payloadSize: settings.payloadBytes))
                            nextEvent += UInt64(events)
                            files.append(file)
                            lumiDocs[instance - 1].append([
                                "kind": "streamer", "run": .int(run), "lumi": .int(lumi), "stream": .string(stream.name),
                                "instance": .int(instance), "lfn": .string(file.lfn), "path": .string(dataDirectory + file.lfn),
                                "events": .int(events), "size": .int(Int(file.size)),
                            ])
                            count = 1
                        }
                        lumiDocs[instance - 1].append(["kind": "endOfLumi", "run": .int(run), "lumi": .int(lumi), "stream": .string(stream.name),
                                                       "instance": .int(instance), "files": .int(count)])
                    }
                }
                blocks[lumi] = lumiDocs
            }
            for lumi in lumiOrder {
                for instance in 0..<settings.instances { perInstance[instance] += blocks[lumi]![instance] }
            }
            for instance in 1...settings.instances {
                perInstance[instance - 1].append(["kind": "endOfRun", "run": .int(run), "instance": .int(instance),
                                                  "instances": .int(settings.instances), "lumis": .int(settings.lumis)])
            }
        }
        // Publishing order: run documents first; instances interleaved lumi by lumi, except a late instance, which
        // comes after everything else.
        var ordered = shared
        let onTime = settings.lateInstance ? settings.instances - 1 : settings.instances
        ordered += Self.interleave(Array(perInstance[0..<onTime]))
        if onTime < settings.instances { ordered += perInstance[onTime] }
        if settings.duplicate { ordered = Self.addDuplicates(ordered, generator: &generator) }
        documents = ordered.enumerated().map { index, body in
            ReplayDocument(name: Self.documentName(index: index, body: body), body: body)
        }
    }

    /// The expected content of every primary dataset of a processed stream (Bulk: its PDs; Express: its PDs and
    /// `Stream<name>`): dataset → sorted `RUN LUMI EVENT` lines, the form `wmctl catalog events` prints. An event is
    /// in a dataset when its trigger bits intersect the dataset's mask (mask 0: every event of the stream).
    public func expectation() -> [String: [EventRecord]] {
        var datasets: [String: [EventRecord]] = [:]
        for stream in menu.streams where stream.style != .ignore {
            for dataset in stream.datasets { datasets[dataset.name] = [] }
        }
        for file in files {
            guard let stream = menu.streams.first(where: { $0.name == file.stream }), stream.style != .ignore else { continue }
            for record in records(of: file) {
                for dataset in stream.datasets where record.passes(triggerMask: dataset.triggerMask) {
                    datasets[dataset.name]!.append(record)
                }
            }
        }
        return datasets.mapValues { $0.sorted() }
    }

    /// The event records of a streamer file (in event order).
    public func records(of file: StreamerFile) -> [EventRecord] {
        let streamPaths = menu.streams.first { $0.name == file.stream }?.paths ?? 0
        return (0..<UInt64(file.events)).map { offset in
            let event = file.firstEvent + offset
            return EventRecord(run: UInt32(file.run), lumi: UInt32(file.lumi), event: event,
                               triggerBits: triggerBits(run: file.run, event: event, streamPaths: streamPaths))
        }
    }

    /// An event's trigger bits: each of the stream's paths fires with probability 1/3 and every other path of the
    /// menu with 1/8; an event that fired none of its stream's paths gets one of them (it was accepted into the stream).
    func triggerBits(run: Int, event: UInt64, streamPaths: UInt64) -> UInt64 {
        var generator = SplitMix64(seed: SplitMix64.mix(settings.seed ^ SplitMix64.mix(UInt64(run) << 40 ^ event)))
        let menuPaths = menu.paths.count == 64 ? UInt64.max : (UInt64(1) << UInt64(menu.paths.count)) - 1
        var bits: UInt64 = 0
        for bit in 0..<UInt64(menu.paths.count) {
            let inStream = streamPaths & (1 << bit) != 0
            if generator.next() % (inStream ? 3 : 8) == 0 { bits |= 1 << bit }
        }
        let own = streamPaths == 0 ? menuPaths : streamPaths
        if bits & own == 0 {
            let candidates = (0..<UInt64(menu.paths.count)).filter { own & (1 << $0) != 0 }
            bits |= 1 << candidates[Int(generator.next() % UInt64(candidates.count))]
        }
        return bits
    }

    // MARK: Pieces

    /// §A.1's streamer LFN, with the instance in the file name so several instances' files of a lumi differ.
    static func lfn(run: Int, lumi: Int, stream: String, instance: Int) -> String {
        let digits = String(repeating: "0", count: max(0, 9 - String(run).count)) + String(run)
        let split = [digits.prefix(3), digits.dropFirst(3).prefix(3), digits.suffix(3)].joined(separator: "/")
        let ls = String(repeating: "0", count: max(0, 4 - String(lumi).count)) + String(lumi)
        return "/store/t0streamer/Data/\(stream)/\(split)/run\(run)_ls\(ls)_stream\(stream)_StorageManager\(instance).dat"
    }

    /// `sm-<6-digit index>-<kind>-r<run>[-l<lumi>][-<stream>][-i<instance>].json`: unique, sorted in publishing order.
    static func documentName(index: Int, body: JSONValue) -> String {
        let fields = body.objectValue ?? [:]
        var name = "sm-" + String(repeating: "0", count: max(0, 6 - String(index).count)) + String(index)
        name += "-" + (fields["kind"]?.stringValue ?? "document")
        if let run = fields["run"]?.intValue { name += "-r\(run)" }
        if let lumi = fields["lumi"]?.intValue { name += "-l\(lumi)" }
        if let stream = fields["stream"]?.stringValue { name += "-" + stream }
        if let instance = fields["instance"]?.intValue { name += "-i\(instance)" }
        return name + ".json"
    }

    /// Merges the instances' document lists by taking one document of each in turn, so their documents arrive
    /// interleaved as from parallel writers (each list keeps its own order).
    static func interleave(_ lists: [[JSONValue]]) -> [JSONValue] {
        var result: [JSONValue] = []
        let longest = lists.map(\.count).max() ?? 0
        for index in 0..<longest {
            for list in lists where index < list.count { result.append(list[index]) }
        }
        return result
    }

    /// Copies about one document in `duplicateEvery` to a later position chosen by the seed.
    static func addDuplicates(_ documents: [JSONValue], generator: inout SplitMix64) -> [JSONValue] {
        var result = documents
        for (index, document) in documents.enumerated().reversed() where generator.next() % UInt64(ReplaySettings.duplicateEvery) == 0 {
            let later = index + 1 + Int(generator.next() % UInt64(result.count - index))
            result.insert(document, at: min(later, result.count))
        }
        return result
    }

    /// Fisher–Yates with the replay's generator (the same order for a seed on every platform).
    static func shuffle<T>(_ items: inout [T], generator: inout SplitMix64) {
        guard items.count > 1 else { return }
        for index in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(index, Int(generator.next() % UInt64(index + 1)))
        }
    }

    /// `emptyLumis` distinct lumis of `run`, none of them oversized.
    static func chooseEmptyLumis(run: Int, settings: ReplaySettings, generator: inout SplitMix64) -> Set<Int> {
        var candidates = (1...settings.lumis).filter { !settings.oversizedLumis.contains(RunLumi(run: run, lumi: $0)) }
        shuffle(&candidates, generator: &generator)
        return Set(candidates.prefix(settings.emptyLumis))
    }

    /// The most runs, lumis, instances, events per file of a replay (keeps every count and event number far from
    /// overflow).
    public static let limits = (runs: 1000, lumis: 10_000, instances: 16, eventsPerFile: 1_000_000, payloadBytes: 1 << 20)

    static func check(_ settings: ReplaySettings) throws(ReplayPlanError) {
        let ranges: [(String, Int, ClosedRange<Int>)] = [
            ("runs", settings.runs, 1...limits.runs), ("first-run", settings.firstRun, 1...4_000_000),
            ("lumis", settings.lumis, 1...limits.lumis), ("instances", settings.instances, 1...limits.instances),
            ("events-per-file", settings.eventsPerFile, 1...limits.eventsPerFile),
            ("payload-bytes", settings.payloadBytes, 0...limits.payloadBytes),
            ("empty-lumis", settings.emptyLumis, 0...(settings.lumis - 1)),
        ]
        for (name, value, range) in ranges where !range.contains(value) {
            throw ReplayPlanError(option: name, problem: "got \(value), allowed \(range.lowerBound)...\(range.upperBound)")
        }
        if settings.lateInstance && settings.instances < 2 {
            throw ReplayPlanError(option: "late-instance", problem: "needs at least 2 instances, got \(settings.instances)")
        }
        let runs = settings.firstRun..<(settings.firstRun + settings.runs)
        for pair in settings.oversizedLumis.sorted() where !runs.contains(pair.run) || !(1...settings.lumis).contains(pair.lumi) {
            throw ReplayPlanError(option: "oversized-lumi", problem: "\(pair) is not a lumi of the replay (runs \(runs.lowerBound)...\(runs.upperBound - 1), lumis 1...\(settings.lumis))")
        }
        let eventsPerRun = settings.lumis * settings.instances * settings.eventsPerFile * ReplaySettings.oversizeFactor
        guard eventsPerRun <= 1_000_000_000 else {
            throw ReplayPlanError(option: "events-per-file", problem: "lumis × instances × events per file (× \(ReplaySettings.oversizeFactor)) must stay ≤ 10^9 per stream and run")
        }
    }
}

/// A setting of the replay out of its range.
public struct ReplayPlanError: Error, CustomStringConvertible, Sendable {
    /// The option (`--` name without dashes).
    public var option: String
    /// What was given and what is allowed.
    public var problem: String
    /// `--OPTION: PROBLEM`.
    public var description: String { "--\(option): \(problem)" }
}
