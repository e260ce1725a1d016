import EventFiles
import Foundation
import FrameworkJobReport
import JobSplitting
import WMCore

/// Runs one step configuration in a working directory and describes what it did as a framework
/// job report (the cmsRun stand-in's work, without faults or knobs).
struct StepExecution {
    /// The step.
    let config: StepConfig
    /// The step's working directory; output files are created here.
    let directory: String

    /// The threads the step runs (its configuration's, at least 1).
    var threads: Int { max(1, config.threads ?? 1) }

    /// Absolute path of an output's local file.
    func localPath(_ output: StepOutput) -> String { directory + "/" + output.localFile }

    /// The path an input is read from: its local file in the step's folder (a StepChain step reading the previous
    /// step's output), else its PFN.
    func readPath(_ input: StepInput) -> String { input.localFile.map { directory + "/" + $0 } ?? input.pfn }

    /// The report of running `config` in `directory`: the step's own, or a failed one naming the first cause.
    static func report(config: StepConfig, directory: String) -> FrameworkJobReport {
        do {
            return try StepExecution(config: config, directory: directory).run()
        } catch {
            return failedReport(error)
        }
    }

    /// A report with `error` as its only error (a non-`StepFailure` is a CMSException, 8001), also told on stderr.
    static func failedReport(_ error: Error) -> FrameworkJobReport {
        let failure = (error as? StepFailure)
            ?? StepFailure(code: RuntimeExitCodes.cmsException, type: "CMSException", details: String(describing: error))
        var report = FrameworkJobReport()
        report.addError(failure.frameworkError)
        FileHandle.standardError.write(Data("wm-cmsrun: \(failure)\n".utf8))
        return report
    }

    /// Runs the step.
    /// - Throws: `StepFailure` with the CMSSW code of the first error.
    func run() throws(StepFailure) -> FrameworkJobReport {
        let outputPaths = Set(config.outputs.map(localPath))
        try checkInputsConfined()
        do {
            switch config.mode {
            case .generate:
                let request = try generateRequest()
                try openPileupInputs()
                var generated = report(try EventOperations.generate(request, threads: threads))
                generated.inputFiles += try mixPileup(events: request.lastEvent - request.firstEvent + 1)
                return generated
            case .process:
                let secondary = try readSecondaryInputs()
                try openPileupInputs()
                let result = try EventOperations.process(inputs: config.inputs.map(readPath), mask: try eventMask(),
                                                         outputs: modules(), payloadSize: config.payloadSize, threads: threads)
                var processed = report(result)
                processed.inputFiles += secondary
                processed.inputFiles += try mixPileup(events: result.inputs.reduce(0) { $0 &+ $1.eventsRead })
                return processed
            case .merge:
                guard config.outputs.count == 1 else {
                    throw StepFailure(code: RuntimeExitCodes.cmsException, type: "Configuration",
                                      details: "step.outputs: expected exactly one output module for a merge, got \(config.outputs.count)")
                }
                // Express writes DQMIO as DQM summaries; a processing task's DQMIO is an event file, merged as events.
                if DQMSummary.tiers.contains(config.outputs[0].dataTier), let first = config.inputs.first,
                   DQMSummary.isSummary(path: readPath(first)) { return try mergeDQMSummaries() }
                return try merge()
            case .repack:
                return report(try EventOperations.repack(inputs: config.inputs.map(readPath), datasets: modules(),
                                                         payloadSize: config.payloadSize, threads: threads))
            case .express: return try ExpressStep(execution: self).run()
            case .harvest: return try HarvestStep(execution: self).run()
            case .cleanup: return try CleanupStep(inputs: config.inputs).run()
            case .logCollect: return try LogCollectStep(execution: self).run()
            }
        } catch let error as EventFileError {
            throw StepFailure(error, outputPaths: outputPaths)
        } catch let failure as StepFailure {
            throw failure
        } catch {
            throw StepFailure(code: RuntimeExitCodes.cmsException, type: "CMSException", details: String(describing: error))
        }
    }

    /// Merges the inputs. A robust merge (`skipBadFiles`, CMSSW's `skipBadFiles` as WMCore sets it for RobustMerge)
    /// leaves out an input that cannot be opened or read, reports it as a skipped file and merges the rest again (the
    /// failed attempt's output is removed); the last input failing fails the step. Otherwise a bad input fails it.
    private func merge() throws -> FrameworkJobReport {
        var inputs = config.inputs
        var skipped: [FileReference] = []
        while true {
            do {
                var merged = report(try EventOperations.merge(inputs: inputs.map(readPath), output: modules()[0],
                                                              payloadSize: config.payloadSize, threads: threads))
                merged.skippedFiles += skipped
                return merged
            } catch let error as EventFileError where config.skipBadFiles == true && error.cmsswInputExitCode != nil && inputs.count > 1 {
                guard let index = inputs.firstIndex(where: { readPath($0) == error.path }) else { throw error }
                FileHandle.standardError.write(Data("wm-cmsrun: skipping bad merge input \(inputs[index].lfn): \(error)\n".utf8))
                skipped.append(FileReference(lfn: inputs[index].lfn, pfn: readPath(inputs[index])))
                inputs.remove(at: index)
            }
        }
    }

    /// Merges DQM summaries (a DQMIO/DQM merge): one summary uniting the inputs' (`DQMSummary.merged`), reported with
    /// the union of their lumis and the sum of their events read.
    /// - Throws: `StepFailure` 8020/8021 naming an input that cannot be opened or is not a summary.
    private func mergeDQMSummaries() throws(StepFailure) -> FrameworkJobReport {
        var report = FrameworkJobReport()
        var summaries: [DQMSummary] = []
        for input in config.inputs {
            let summary = try DQMSummary.read(path: readPath(input), lfn: input.lfn)
            summaries.append(summary)
            report.inputFiles.append(InputFile(lfn: input.lfn, pfn: readPath(input), guid: input.guid,
                                               events: summary.eventsRead, runs: summary.runs))
        }
        let output = config.outputs[0]
        let merged = DQMSummary.merged(summaries, workflow: config.workflow)
        let path = localPath(output)
        try merged.write(to: path)
        let checksums: FileChecksums
        do { checksums = try FileChecksums.compute(path: path) } catch {
            throw StepFailure(code: RuntimeExitCodes.fileWriteError, type: "FileWriteError", details: "\(path): cannot checksum the merged DQM summary: \(error)")
        }
        report.outputFiles = [outputFile(output, events: merged.eventsRead, runs: merged.runs, checksums: checksums)]
        return report
    }

    /// Refuses the step, before anything is read or deleted, when an input could lie outside the storage (an LFN with
    /// a `..` component, a PFN that is not its storage prefix + LFN): 8001, which is not retried.
    private func checkInputsConfined() throws(StepFailure) {
        for (field, list) in [("inputs", config.inputs), ("secondaryInputs", config.secondaryInputs ?? []),
                              ("pileupInputs", config.pileupInputs ?? [])] {
            for (index, input) in list.enumerated() {
                if let problem = input.confinementProblem {
                    throw StepFailure(code: RuntimeExitCodes.cmsException, type: "UnconfinedInput",
                                      details: "step.\(field)[\(index)]: \(problem); nothing of the step's inputs was read or deleted")
                }
            }
        }
    }

    /// Opens and reads every secondary input (an `IncludeParents` job's parent files) before the primary ones, as
    /// CMSSW opens its secondary source; each is a report input of type `secondaryFiles` with the events read.
    /// - Throws: the `EventFileError` of a parent that is missing or damaged (the step fails as for a primary input).
    private func readSecondaryInputs() throws -> [InputFile] {
        try (config.secondaryInputs ?? []).map { input in
            var events = 0
            var runs: [Int: Set<Int>] = [:]
            try EventFileReader(path: readPath(input)).forEach { record in
                events += 1
                runs[Int(record.run), default: []].insert(Int(record.lumi))
            }
            return InputFile(lfn: input.lfn, pfn: readPath(input), guid: input.guid, inputType: .secondaryFiles,
                             events: events, runs: RunLumiMap(lumisByRun: runs.mapValues { $0.sorted() }))
        }
    }

    // MARK: Pileup

    /// Opens every pileup file once before any event is processed, as CMSSW's mixing module opens its input, so a
    /// missing or unreadable pileup file fails the step (8020 FileOpenError, naming the file) before it writes output.
    private func openPileupInputs() throws(StepFailure) {
        for (index, input) in (config.pileupInputs ?? []).enumerated() {
            do {
                _ = try EventFileReader(path: readPath(input))
            } catch {
                throw Self.pileupFailure(error, input: input, index: index)
            }
        }
    }

    /// Mixes one pileup event into each of `events` processed or generated events: reads the pileup files in order,
    /// cycling back to the first after the last, and returns one `mixingFiles` report input per file opened with the
    /// events read from it and no runs (as CMSSW reports mixing input). Stops early when a whole pass over the files
    /// reads nothing (pileup without events).
    /// - Throws: `StepFailure` 8020/8021 naming the pileup file that could not be opened or read.
    private func mixPileup(events: UInt64) throws(StepFailure) -> [InputFile] {
        let pileup = config.pileupInputs ?? []
        guard !pileup.isEmpty, events > 0 else { return [] }
        var read = [UInt64](repeating: 0, count: pileup.count)
        var opened = [Bool](repeating: false, count: pileup.count)
        var remaining = events
        while remaining > 0 {
            let before = remaining
            for (index, input) in pileup.enumerated() where remaining > 0 {
                do {
                    let reader = try EventFileReader(path: readPath(input))
                    opened[index] = true
                    while remaining > 0, try reader.next() != nil {
                        read[index] += 1
                        remaining -= 1
                    }
                } catch {
                    throw Self.pileupFailure(error, input: input, index: index)
                }
            }
            if remaining == before { break }
        }
        return pileup.indices.filter { opened[$0] }.map { index in
            InputFile(lfn: pileup[index].lfn, pfn: readPath(pileup[index]), guid: pileup[index].guid, inputType: .mixingFiles,
                      events: Int(clamping: read[index]), runs: RunLumiMap())
        }
    }

    /// The failure of a pileup file: CMSSW's 8020 (open) or 8021 (read), saying it is pileup and naming the LFN.
    private static func pileupFailure(_ error: Error, input: StepInput, index: Int) -> StepFailure {
        guard let fileError = error as? EventFileError else {
            return StepFailure(code: RuntimeExitCodes.cmsException, type: "CMSException",
                               details: "pileup file step.pileupInputs[\(index)] \(input.lfn): \(error)")
        }
        let failure = StepFailure(fileError, outputPaths: [])
        return StepFailure(code: failure.code, type: failure.type,
                           details: "pileup (mixingFiles) input step.pileupInputs[\(index)] \(input.lfn): \(failure.details)")
    }

    // MARK: Requests

    private func modules() -> [OutputModule] {
        config.outputs.map { OutputModule(label: $0.label, path: localPath($0), triggerMask: $0.triggerMask) }
    }

    private func generateRequest() throws(StepFailure) -> GenerateRequest {
        guard let settings = config.generation else {
            throw StepFailure(code: RuntimeExitCodes.cmsException, type: "Configuration",
                              details: "step.generation: expected generation settings for a generate step")
        }
        return GenerateRequest(run: settings.run, firstEvent: settings.firstEvent, lastEvent: settings.lastEvent,
                               firstLumi: settings.firstLumi, lastLumi: settings.lastLumi,
                               eventsPerLumi: settings.eventsPerLumi, seed: settings.seed,
                               payloadSize: config.payloadSize ?? StepPlanner.defaultSizePerEvent, outputs: modules())
    }

    /// The job mask in the form `process` reads (event bounds as input positions, WMCore's rule).
    func eventMask() throws(StepFailure) -> EventMask {
        let mask = config.mask
        var ranges: [Int: [ClosedRange<Int>]] = [:]
        for entry in mask.runAndLumis {
            for pair in entry.ranges {
                guard pair.count == 2, pair[0] <= pair[1] else {
                    throw StepFailure(code: RuntimeExitCodes.cmsException, type: "Configuration",
                                      details: "step.mask.runAndLumis[\(entry.run)]: expected [first, last] with first ≤ last, got \(pair)")
                }
                ranges[entry.run, default: []].append(pair[0]...pair[1])
            }
        }
        return EventMask(firstEvent: mask.firstEvent, lastEvent: mask.lastEvent, firstLumi: mask.firstLumi,
                         lastLumi: mask.lastLumi, firstRun: mask.firstRun, lastRun: mask.lastRun, runAndLumis: ranges)
    }

    // MARK: Report

    /// The report of an event operation: inputs by PFN, outputs with their LFNs, GUIDs and checksums.
    func report(_ result: OperationResult) -> FrameworkJobReport {
        var report = FrameworkJobReport()
        let byPFN = Dictionary(config.inputs.map { (readPath($0), $0) }, uniquingKeysWith: { first, _ in first })
        report.inputFiles = result.inputs.map { read in
            let input = byPFN[read.path]
            return InputFile(lfn: input?.lfn ?? read.path, pfn: read.path, guid: input?.guid ?? "",
                             events: Int(read.eventsRead),
                             runs: RunLumiMap(lumisByRun: Dictionary(uniqueKeysWithValues: read.runs.map { (Int($0.key), $0.value.map(Int.init)) })))
        }
        let outputsByPath = Dictionary(config.outputs.map { (localPath($0), $0) }, uniquingKeysWith: { first, _ in first })
        report.outputFiles = result.outputs.compactMap { written in
            guard let output = outputsByPath[written.path] else { return nil }
            var runs: [Int: [Int: Int?]] = [:]
            for (run, lumis) in written.runs {
                runs[Int(run)] = Dictionary(uniqueKeysWithValues: lumis.map { (Int($0.key), Int?.some(Int($0.value))) })
            }
            return outputFile(output, events: Int(written.events), runs: RunLumiMap(runs), checksums: written.checksums)
        }
        if let version = config.cmsswVersion { report.parameters["CMSSWVersion"] = version }
        if let tag = config.globalTag { report.parameters["GlobalTag"] = tag }
        return report
    }

    /// An output file record with the step's inputs as its parents.
    func outputFile(_ output: StepOutput, events: Int, runs: RunLumiMap, checksums: FileChecksums) -> OutputFile {
        OutputFile(moduleLabel: output.label, lfn: output.lfn, pfn: localPath(output), guid: output.guid,
                   events: events, branchHash: Self.branchHash(label: output.label, tier: output.dataTier),
                   dataType: output.dataTier, runs: config.knobs.omitRunLumis ? RunLumiMap() : runs,
                   inputs: config.inputs.map { FileReference(lfn: $0.lfn, pfn: $0.pfn) },
                   size: Int(checksums.size),
                   adler32: config.knobs.omitChecksums ? nil : checksums.adler32Hex,
                   cksum: config.knobs.omitChecksums ? nil : String(checksums.cksum))
    }

    /// A stable 32-hex-digit stand-in for the branch hash of a module's event content.
    static func branchHash(label: String, tier: String) -> String {
        var first: UInt64 = 0xCBF2_9CE4_8422_2325, second: UInt64 = 0x8422_2325_CBF2_9CE4
        for byte in (label + "\u{0}" + tier).utf8 {
            first = (first ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            second = (second ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 &+ 1
        }
        return String(format: "%016llx%016llx", first, second)
    }
}
