import EventFiles
import Foundation
import FrameworkJobReport
import Glibc
import SpoolKit
import WMCore

/// Harvesting: reads every input in full (an event file, or a DQM summary as the DQMIO merge writes) and writes one
/// output: a small DQM summary (events per run), or for an AlcaHarvest's `Sqlite` output (tier `SQLITE`) the
/// conditions payload stand-in (`ConditionPayload`).
struct HarvestStep {
    let execution: StepExecution

    func run() throws -> FrameworkJobReport {
        guard let output = execution.config.outputs.first else {
            throw StepFailure(code: RuntimeExitCodes.cmsException, type: "Configuration",
                              details: "step.outputs: expected one output for a harvesting step")
        }
        var report = FrameworkJobReport()
        var lumisPerRun: [Int: Set<Int>] = [:]
        var eventsPerRun: [Int: Int] = [:]
        for input in execution.config.inputs {
            let path = execution.readPath(input)
            let read = DQMSummary.isSummary(path: path) ? try summaryInput(input, path: path) : try eventInput(path)
            report.inputFiles.append(InputFile(lfn: input.lfn, pfn: input.pfn, guid: input.guid, events: read.events,
                                               runs: RunLumiMap(lumisByRun: read.lumis.mapValues { $0.sorted() })))
            for (run, lumis) in read.lumis { lumisPerRun[run, default: []].formUnion(lumis) }
            for (run, events) in read.eventsPerRun { eventsPerRun[run, default: 0] += events }
        }
        let path = execution.localPath(output)
        let document: JSONValue = output.dataTier == ConditionPayload.tier
            ? ConditionPayload(workflow: execution.config.workflow, label: output.label, lumisPerRun: lumisPerRun,
                               eventsPerRun: eventsPerRun).json
            : .object(["workflow": .string(execution.config.workflow),
                       "eventsPerRun": .object(Dictionary(uniqueKeysWithValues: eventsPerRun.map { (String($0.key), JSONValue.int($0.value)) }))])
        try writeDQMSummary(document, to: path)
        report.outputFiles = [execution.outputFile(output, events: eventsPerRun.values.reduce(0, +),
                                                   runs: RunLumiMap(lumisByRun: lumisPerRun.mapValues { $0.sorted() }),
                                                   checksums: try FileChecksums.compute(path: path))]
        return report
    }

    /// What one input gave: its events, lumis per run and events per run.
    private struct Read {
        var events = 0
        var lumis: [Int: Set<Int>] = [:]
        var eventsPerRun: [Int: Int] = [:]
    }

    /// An event file's events, counted per run.
    private func eventInput(_ path: String) throws -> Read {
        var read = Read()
        try EventListing.events(in: path) { run, lumi, _ in
            read.lumis[Int(run), default: []].insert(Int(lumi))
            read.eventsPerRun[Int(run), default: 0] += 1
            read.events += 1
        }
        return read
    }

    /// A DQM summary's events read and lumis. Its events belong to its one run (Tier-0 summaries are of one run's
    /// stream); a summary of several runs cannot say how many events each had and fails the step (8021).
    private func summaryInput(_ input: StepInput, path: String) throws(StepFailure) -> Read {
        let summary = try DQMSummary.read(path: path, lfn: input.lfn)
        guard summary.lumisPerRun.count <= 1 else {
            throw StepFailure(code: RuntimeExitCodes.fileReadError, type: "FileReadError",
                              details: "\(path) (LFN \(input.lfn)): DQM summary lumisPerRun: found \(summary.lumisPerRun.count) runs; expected one run (its events are not counted per run)")
        }
        var read = Read(events: summary.eventsRead, lumis: summary.lumisPerRun)
        if let run = summary.lumisPerRun.keys.first { read.eventsPerRun[run] = summary.eventsRead }
        return read
    }
}

/// Writes a DQM summary document at `path` (which must not exist yet).
/// - Throws: `StepFailure` 8033 (FileWriteError) naming the path.
func writeDQMSummary(_ summary: JSONValue, to path: String) throws(StepFailure) {
    do {
        try Data((summary.serialized + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
    } catch {
        throw StepFailure(code: RuntimeExitCodes.fileWriteError, type: "FileWriteError",
                          details: "\(path): cannot write the DQM summary: \(error)")
    }
}

/// Cleanup: deletes the input files; a file already gone is not an error.
struct CleanupStep {
    let inputs: [StepInput]

    func run() throws(StepFailure) -> FrameworkJobReport {
        var deleted = 0
        for input in inputs {
            if unlink(input.pfn) == 0 { deleted += 1; continue }
            let code = errno
            guard code != ENOENT else { continue }
            throw StepFailure(code: RuntimeExitCodes.deleteFailure, type: "DeleteFailure",
                              details: "\(input.pfn) (LFN \(input.lfn)): cannot delete: \(String(cString: strerror(code))) (errno \(code))")
        }
        var report = FrameworkJobReport()
        report.parameters["DeletedFiles"] = String(deleted)
        return report
    }
}

/// LogCollect: packs the input log archives into one tar; a missing archive is recorded as skipped.
struct LogCollectStep {
    let execution: StepExecution

    func run() throws -> FrameworkJobReport {
        guard let output = execution.config.outputs.first else {
            throw StepFailure(code: RuntimeExitCodes.cmsException, type: "Configuration",
                              details: "step.outputs: expected one output for a LogCollect step")
        }
        var report = FrameworkJobReport()
        let path = execution.localPath(output)
        var tar = TarGzip(modificationTime: Date().timeIntervalSince1970)
        for (index, input) in execution.config.inputs.enumerated() {
            guard FileManager.default.fileExists(atPath: input.pfn) else {
                report.skippedFiles.append(FileReference(lfn: input.lfn, pfn: input.pfn))
                continue
            }
            let name = "\(index)-" + (input.lfn as NSString).lastPathComponent
            do { try tar.addFile(at: input.pfn, as: name) } catch {
                throw StepFailure(code: RuntimeExitCodes.fileReadError, type: "FileReadError", details: "\(input.pfn): cannot read: \(error)")
            }
        }
        do { try TarGzip.write(tar.tarData(), to: path) } catch {
            throw StepFailure(code: RuntimeExitCodes.fileWriteError, type: "FileWriteError", details: "\(path): cannot write the tar archive: \(error)")
        }
        report.outputFiles = [execution.outputFile(output, events: 0, runs: RunLumiMap(),
                                                   checksums: try FileChecksums.compute(path: path))]
        return report
    }
}
