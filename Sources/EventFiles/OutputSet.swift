/// The writers of one operation's outputs: routes each event to every module whose trigger mask it
/// passes, tallies what each wrote, and on failure removes every partial output.
final class OutputSet {
    private let modules: [OutputModule]
    private var writers: [EventFileWriter] = []
    private var tallies: [RunLumiTally]

    /// Validates the module list and creates one writer per module, each filling payloads with `threads` threads.
    init(modules: [OutputModule], payloadSize: Int, threads: Int = 1) throws {
        guard !modules.isEmpty else { throw EventFileError.invalidRequest(field: "outputs", expected: "at least one output module") }
        for (field, values) in [("label", modules.map(\.label)), ("path", modules.map(\.path))] {
            var seen = Set<String>()
            for value in values where !seen.insert(value).inserted {
                throw EventFileError.invalidRequest(field: "outputs.\(field)", expected: "unique values, '\(value)' appears twice")
            }
        }
        self.modules = modules
        tallies = Array(repeating: RunLumiTally(), count: modules.count)
        do {
            for module in modules { writers.append(try EventFileWriter(path: module.path, payloadSize: payloadSize, threads: threads)) }
        } catch {
            abandon()
            throw error
        }
    }

    /// Writes `record` to every module whose trigger mask it passes.
    func write(_ record: EventRecord) throws {
        for index in modules.indices where record.passes(triggerMask: modules[index].triggerMask) {
            try writers[index].append(record)
            tallies[index].add(record)
        }
    }

    /// Finishes every file and reports it with its checksums.
    func finish() throws -> [OutputFileReport] {
        var reports: [OutputFileReport] = []
        for index in modules.indices {
            try writers[index].finish()
            let module = modules[index]
            reports.append(OutputFileReport(label: module.label, path: module.path, events: tallies[index].events,
                                            runs: tallies[index].counts,
                                            checksums: try FileChecksums.compute(path: module.path)))
        }
        return reports
    }

    /// Removes every output, finished or not (after a failure nothing partial is left).
    func abandon() {
        for writer in writers { writer.abandon() }
    }
}

/// Runs `body` with a fresh output set (payloads filled by `threads` threads) and finishes it; on any error removes
/// the outputs and rethrows.
func withOutputs(_ modules: [OutputModule], payloadSize: Int, threads: Int,
                 _ body: (OutputSet) throws -> [InputFileReport]) throws -> OperationResult {
    let outputs = try OutputSet(modules: modules, payloadSize: payloadSize, threads: threads)
    do {
        let inputs = try body(outputs)
        return OperationResult(inputs: inputs, outputs: try outputs.finish())
    } catch {
        outputs.abandon()
        throw error
    }
}
