import EventFiles
import Foundation
import FrameworkJobReport
import Glibc
import SpoolKit
import WMCore

/// Harvesting: reads every input in full and writes a small DQM summary (events and lumis per run)
/// as the step's single output.
struct HarvestStep {
    let execution: StepExecution

    func run() throws -> FrameworkJobReport {
        guard let output = execution.config.outputs.first else {
            throw StepFailure(code: RuntimeExitCodes.cmsException, type: "Configuration",
                              details: "step.outputs: expected one output for a harvesting step")
        }
        var report = FrameworkJobReport()
        var total: [Int: [Int: Int?]] = [:]
        for input in execution.config.inputs {
            var counts: [Int: [Int: Int]] = [:]
            var events = 0
            try EventListing.events(in: input.pfn) { run, lumi, _ in
                counts[Int(run), default: [:]][Int(lumi), default: 0] += 1
                events += 1
            }
            report.inputFiles.append(InputFile(lfn: input.lfn, pfn: input.pfn, guid: input.guid, events: events,
                                               runs: RunLumiMap(lumisByRun: counts.mapValues { Array($0.keys) })))
            for (run, lumis) in counts {
                for (lumi, n) in lumis { total[run, default: [:]][lumi] = .some(((total[run]?[lumi] ?? nil) ?? 0) + n) }
            }
        }
        let path = execution.localPath(output)
        let summary = JSONValue.object([
            "workflow": .string(execution.config.workflow),
            "eventsPerRun": .object(Dictionary(uniqueKeysWithValues: total.map { run, lumis in
                (String(run), JSONValue.int(lumis.values.reduce(0) { $0 + ($1 ?? 0) }))
            })),
        ])
        try writeDQMSummary(summary, to: path)
        let events = total.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + ($1 ?? 0) } }
        report.outputFiles = [execution.outputFile(output, events: events, runs: RunLumiMap(total),
                                                   checksums: try FileChecksums.compute(path: path))]
        return report
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
