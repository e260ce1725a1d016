/// The `cmsRun` stand-in's four operations, as pure functions over file paths. Each returns what it
/// read and wrote; on any error it removes the outputs it created and throws an `EventFileError`
/// naming the file (input errors map to CMSSW 8020/8021 through `cmsswInputExitCode`).
public enum EventOperations {
    /// The default payload size per event (1 KiB).
    public static let defaultPayloadSize = 1024

    /// Monte Carlo generation, as an EventBased production job with an `EmptySource` does it: events
    /// `firstEvent...lastEvent` of `run`, event k in lumi `firstLumi + (k − firstEvent) / eventsPerLumi`,
    /// trigger bits from `(seed, event)`. Every output module gets the same events, less those its
    /// trigger mask rejects.
    /// `threads` threads fill the output payloads (the output is the same for any number).
    public static func generate(_ request: GenerateRequest, threads: Int = 1) throws -> OperationResult {
        try request.validate()
        return try withOutputs(request.outputs, payloadSize: request.payloadSize, threads: threads) { outputs in
            for event in request.firstEvent...request.lastEvent {
                try outputs.write(request.record(for: event))
            }
            return []
        }
    }

    /// Processing: reads the inputs in order, keeps the events inside the mask (see `EventMask` and
    /// `EventRangeSemantics`) and writes them to each output module its trigger mask lets through.
    /// Output payload size: `payloadSize`, or the first input's when `nil`.
    public static func process(inputs: [String], mask: EventMask, outputs modules: [OutputModule],
                               payloadSize: Int? = nil, threads: Int = 1) throws -> OperationResult {
        try mask.validate()
        let readers = LazyInputs(paths: inputs)
        let firstReader = try readers.open(0)
        var cursor = EventRangeCursor(mask: mask)
        return try withOutputs(modules, payloadSize: payloadSize ?? firstReader.header.payloadSize, threads: threads) { outputs in
            var reports: [InputFileReport] = []
            inputLoop: for index in inputs.indices {
                let reader = try readers.open(index)
                var tally = RunLumiTally()
                defer { reports.append(InputFileReport(path: reader.path, eventsRead: tally.events, runs: tally.lumisByRun)) }
                while let record = try reader.next() {
                    guard mask.contains(run: record.run, lumi: record.lumi) else { continue }
                    switch cursor.judge(record) {
                    case .skip: continue
                    case .stop: break inputLoop
                    case .keep:
                        tally.add(record)
                        try outputs.write(record)
                    }
                }
            }
            return reports
        }
    }

    /// Repack: splits streamer-like inputs into one output per primary dataset. An event lands in
    /// every dataset whose trigger mask intersects its bits (mask 0 = the "All" path: every event);
    /// an event that matches no dataset is written nowhere. Every output lists every lumi read, with 0 events
    /// where none of its events was selected: CMSSW writes each lumi it processes to every output module, so a
    /// dataset none of whose paths fired in a job still gets a file with the job's lumis (not a file without
    /// run/lumi information, which fails the job with 70452).
    public static func repack(inputs: [String], datasets: [OutputModule], payloadSize: Int? = nil, threads: Int = 1) throws -> OperationResult {
        var result = try process(inputs: inputs, mask: EventMask(), outputs: datasets, payloadSize: payloadSize, threads: threads)
        for input in result.inputs {
            for (run, lumis) in input.runs {
                for index in result.outputs.indices {
                    for lumi in lumis where result.outputs[index].runs[run]?[lumi] == nil { result.outputs[index].runs[run, default: [:]][lumi] = 0 }
                }
            }
        }
        return result
    }

    /// Merge: concatenates the inputs into one output ordered by (run, lumi, event). Inputs whose
    /// header says they are sorted are merged streaming; if any is not, all keys are sorted in memory
    /// (24 bytes per event; payloads are regenerated from the keys). Duplicates are kept, not hidden.
    public static func merge(inputs: [String], output: OutputModule, payloadSize: Int? = nil, threads: Int = 1) throws -> OperationResult {
        guard !inputs.isEmpty else { throw EventFileError.invalidRequest(field: "inputs", expected: "at least one input file") }
        let all = try inputs.map { try EventFileReader(path: $0) }
        return try withOutputs([output], payloadSize: payloadSize ?? all[0].header.payloadSize, threads: threads) { outputs in
            var merger = SortedMerge(readers: all)
            try merger.run { try outputs.write($0) }
            return zip(all, merger.tallies).map { reader, tally in
                InputFileReport(path: reader.path, eventsRead: tally.events, runs: tally.lumisByRun)
            }
        }
    }
}

/// Opens input files on first use, so `process` never opens inputs it does not reach.
final class LazyInputs {
    private let paths: [String]
    private var readers: [Int: EventFileReader] = [:]

    init(paths: [String]) { self.paths = paths }

    func open(_ index: Int) throws -> EventFileReader {
        guard paths.indices.contains(index) else {
            throw EventFileError.invalidRequest(field: "inputs", expected: "at least one input file")
        }
        if let reader = readers[index] { return reader }
        let reader = try EventFileReader(path: paths[index])
        readers[index] = reader
        return reader
    }
}
