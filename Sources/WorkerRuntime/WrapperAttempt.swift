import EventFiles
import Foundation
import FrameworkJobReport
import Glibc
import SpoolKit
import SpoolLayout
import WMCore

/// The state of one wrapper run: the report being built and the codes the wrapper itself added.
struct WrapperAttempt {
    /// The job's work directory.
    let workDirectory: String
    /// When the attempt started.
    let start: Date
    /// The attempt number (from the job, else from the directory name `<job>-<retry>`).
    var retry: Int
    /// The report being built.
    var report = FrameworkJobReport()
    /// The first code the wrapper (rather than cmsRun) added.
    private var wrapperCode: Int?

    /// The cmsRun step's standard output file (in the scratch folder).
    static let stdoutName = "cmsRun1-stdout.log"
    /// The cmsRun step's standard error file.
    static let stderrName = "cmsRun1-stderr.log"
    /// The most cmsRun steps whose files go into the log archive (a StepChain has at most 10 steps here).
    static let maximumSteps = 10
    /// The log archive built in the work directory.
    static let logArchiveName = "logArchive.tar.gz"

    init(workDirectory: String, start: Date) {
        self.workDirectory = workDirectory
        self.start = start
        let folder = workDirectory.split(separator: "/").last.map(String.init) ?? ""
        let named = JobWorkDirectory.attempt(folderName: folder)
        retry = named?.retry ?? 0
        report.wrapper.startTime = start.timeIntervalSince1970
        // Until the job document is read, the attempt is the one the work directory is named after (`<job>-<retry>`).
        if let named { stamp(job: named.job, retry: named.retry) }
    }

    /// Stamps the report with the attempt it belongs to (`WMWrapper JobName`/`Retry`), which the accountant checks.
    mutating func stamp(job: String, retry: Int) {
        self.retry = retry
        report.wrapper.jobName = job
        report.wrapper.retry = retry
    }

    /// The step's working directory.
    var scratch: String { workDirectory + "/scratch" }

    /// Records an error the wrapper detected; the first one becomes the wrapper exit code.
    mutating func addWrapperError(_ code: Int, type: String, details: String) {
        if report.addError(FrameworkError(exitStatus: code, type: type, details: details)), wrapperCode == nil {
            wrapperCode = code
        }
    }

    /// Records an unexpected failure of the wrapper as 99109, naming what failed.
    mutating func wrapperFailed(_ error: Error) {
        let (type, details) = (error as? WrapperError).map { ($0.type, $0.details) }
            ?? ("WrapperException", String(describing: error))
        addWrapperError(RuntimeExitCodes.wrapperException, type: type, details: details)
    }

    /// The files of the job's cmsRun step `index` (0-based) in the scratch folder: the first step keeps the names of a
    /// single-step job (`step.json`, `cmsRun1-stdout.log`, `cmsrun-report.xml`); StepChain step N uses `stepN.json`,
    /// `cmsRunN-stdout.log`, `cmsRunN-report.xml`.
    struct StepFiles {
        /// The step configuration.
        let config: String
        /// cmsRun's report.
        let report: String
        /// Standard output.
        let stdout: String
        /// Standard error.
        let stderr: String

        init(index: Int) {
            let number = index + 1
            config = index == 0 ? "step.json" : "step\(number).json"
            report = index == 0 ? JobWrapper.cmsRunReportName : "cmsRun\(number)-report.xml"
            stdout = "cmsRun\(number)-stdout.log"
            stderr = "cmsRun\(number)-stderr.log"
        }
    }

    /// Creates the scratch folder and writes a step configuration into it as `name`.
    func writeStepConfig(_ config: StepConfig, name: String = "step.json") throws {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(config).write(to: URL(fileURLWithPath: scratch + "/" + name))
    }

    /// Takes in cmsRun step `index` (0-based) of the job, planned as `config`. A single-step job's report is its step's.
    /// A StepChain job's report gets a step section per step (`cmsRun1`, `cmsRun2`, …) with the step's own inputs
    /// (a later step's is the earlier step's local output), outputs (one the job does not stage out, `KeepOutput: false`,
    /// marked not kept), errors and performance; the job's timing is the sum of its steps' (peak memory the largest).
    mutating func absorbStep(_ child: ChildRun, files: StepFiles, index: Int, config: StepConfig, chain: Bool) {
        let threads = Threads(of: config)
        guard chain else { return absorb(child, reportName: files.report, threads: threads) }
        var job = report
        absorb(child, reportName: files.report, threads: threads)
        var step = report
        let dropped = Set(config.outputs.filter { !$0.stagedOut }.map(\.lfn))
        for output in step.outputFiles.indices where dropped.contains(step.outputFiles[output].lfn) {
            step.outputFiles[output].kept = false
        }
        step.wrapper = WrapperInfo(stepName: "cmsRun\(index + 1)", stepStatus: step.exitCode)
        job.performanceSummaries = job.steps.isEmpty ? step.performanceSummaries
            : Self.combined(job.performanceSummaries, step.performanceSummaries)
        job.setSteps(job.steps + [step])
        report = job
    }

    // MARK: The cmsRun step

    /// Takes in how the child ended: its report when it could write one, the limit it broke, or
    /// the reason its report is unusable (first cause kept in the details), plus its performance.
    mutating func absorb(_ child: ChildRun, reportName: String = JobWrapper.cmsRunReportName, threads: Threads = Threads()) {
        switch child.ending {
        case .wallTimeExceeded(let limit, let elapsed):
            let action = limit.source.hasPrefix("SoftTimeout (") ? "it was sent SIGUSR2, then killed if still running after the grace period"
                : "its process group was killed"
            addWrapperError(RuntimeExitCodes.wallTimeLimit, type: "WallTimeExceeded",
                            details: "cmsRun ran \(String(format: "%.1f", elapsed)) s, over the wall-time limit \(limit.source) of \(String(format: "%.0f", limit.value)) s; \(action)")
        case .memoryExceeded(let limit, let rss):
            addWrapperError(RuntimeExitCodes.memoryLimit, type: "MemoryExceeded",
                            details: "cmsRun resident memory (RSS) \(String(format: "%.0f", rss)) MB exceeded the limit \(limit.source) of \(String(format: "%.0f", limit.value)) MB; its process group was killed")
        case .virtualMemoryExceeded(let limit, let vsize):
            addWrapperError(RuntimeExitCodes.virtualMemoryLimit, type: "VirtualMemoryExceeded",
                            details: "cmsRun virtual size (VmSize) \(String(format: "%.0f", vsize)) MB exceeded the limit \(limit.source) of \(String(format: "%.0f", limit.value)) MB; its process group was killed")
        case .exited, .signaled:
            let path = scratch + "/" + reportName
            do {
                var cmsRun = try FrameworkJobReportReader().read(contentsOf: URL(fileURLWithPath: path))
                cmsRun.wrapper = report.wrapper
                report = cmsRun
                if report.errors.isEmpty, child.ending != .exited(0) {
                    report.addError(FrameworkError(exitStatus: Self.code(of: child.ending), type: "CmsRunFailed",
                                                   details: "cmsRun \(Self.describe(child.ending)) but its report records no error"))
                }
            } catch {
                addWrapperError(RuntimeExitCodes.unreadableReport, type: "BadFWJRXML",
                                details: "cmsRun \(Self.describe(child.ending)); its report \(path) could not be read: \(error)")
                if case .signaled(let signal) = child.ending {
                    report.addError(FrameworkError(exitStatus: Int(signal), type: "CmsRunSignal",
                                                   details: "cmsRun was killed by signal \(signal)"))
                }
            }
        }
        report.performanceSummaries = Self.summaries(wall: child.wallSeconds, cpu: child.cpuSeconds, peakRSS: child.peakRSSMB,
                                                     threads: threads)
    }

    /// The threads and streams cmsRun was told to run (CMSSW's `numberOfThreads`, `numberOfStreams`).
    struct Threads {
        var threads = 1
        var streams = 1

        init() {}

        init(of config: StepConfig) {
            threads = max(1, config.threads ?? 1)
            streams = max(1, config.streams ?? threads)
        }
    }

    /// The performance summaries the wrapper writes: timing (with the threads and streams, as CMSSW's Timing service
    /// reports them) and peak memory.
    static func summaries(wall: Double, cpu: Double, peakRSS: Double, threads: Threads) -> [PerformanceSummary] {
        [
            PerformanceSummary(metric: "Timing", metrics: [
                NamedMetric(name: "TotalJobTime", value: String(format: "%.3f", wall)),
                NamedMetric(name: "TotalJobCPU", value: String(format: "%.3f", cpu)),
                NamedMetric(name: "NumberOfThreads", value: String(threads.threads)),
                NamedMetric(name: "NumberOfStreams", value: String(threads.streams)),
            ]),
            PerformanceSummary(metric: "ApplicationMemory", metrics: [
                NamedMetric(name: "PeakValueRss", value: String(format: "%.3f", peakRSS)),
            ]),
        ]
    }

    /// The summaries of two steps run one after the other: times added, the larger peak memory.
    static func combined(_ a: [PerformanceSummary], _ b: [PerformanceSummary]) -> [PerformanceSummary] {
        func value(_ name: String, _ summaries: [PerformanceSummary]) -> Double {
            summaries.lazy.flatMap(\.metrics).first { $0.name == name }.flatMap { Double($0.value) }.flatMap { $0.isFinite ? $0 : nil } ?? 0
        }
        var threads = Threads()
        let most = { (name: String) in Int(min(max(value(name, a), value(name, b), 1), Lexicon.maxCores)) }
        threads.threads = most("NumberOfThreads")
        threads.streams = most("NumberOfStreams")
        return summaries(wall: value("TotalJobTime", a) + value("TotalJobTime", b), cpu: value("TotalJobCPU", a) + value("TotalJobCPU", b),
                         peakRSS: max(value("PeakValueRss", a), value("PeakValueRss", b)), threads: threads)
    }

    /// WMCore's post-run checks for a successful step: 60450, 60451, 70452 for cmsRun steps; a
    /// LogCollect step must still have produced its tarball.
    mutating func checkOutputs(mode: StepMode) {
        guard report.errors.isEmpty else { return }
        let before = report.errors.count
        if mode.runsCMSSW {
            report.applyPostRunChecks()
        } else if mode.expectsOutput && report.outputFiles.isEmpty {
            report.addError(FrameworkError(exitStatus: RuntimeExitCodes.noOutput, type: "NoOutput",
                                           details: "Job did not produce any output file."))
        }
        if report.errors.count > before, wrapperCode == nil { wrapperCode = report.errors[before].exitStatus }
    }

    /// Stages every output out to `pfnOf(lfn)`, replacing the local PFN in the report; on the first
    /// failure removes what was already staged and records 60307. Only the outputs the step planned are staged,
    /// each from its planned local file in the scratch folder: the LFN and the local file come from `outputs`, never
    /// from cmsRun's report (an output the step did not plan is 50115, a report that cannot be trusted).
    mutating func stageOut(outputs: [StepOutput], pfnOf: (String) -> String) {
        guard report.errors.isEmpty else { return }
        let planned = Dictionary(outputs.map { ($0.lfn, $0) }, uniquingKeysWith: { first, _ in first })
        if let stranger = report.outputFiles.first(where: { planned[$0.lfn] == nil || LFNRule.confinementProblem($0.lfn) != nil }) {
            addWrapperError(RuntimeExitCodes.unreadableReport, type: "BadFWJRXML",
                            details: "cmsRun's report lists output \(stranger.moduleLabel) \(stranger.lfn), which is not an output "
                                + "the step planned under its storage (\(outputs.map(\.lfn).sorted().joined(separator: ", "))); nothing was staged out")
            return
        }
        var staged: [String] = []
        for index in report.outputFiles.indices {
            let file = report.outputFiles[index]
            let destination = pfnOf(file.lfn)
            let source = scratch + "/" + (planned[file.lfn]?.localFile ?? "")
            do {
                try StageOut.copy(from: source, to: destination, expected: Self.checksums(of: file))
            } catch {
                StageOut.remove(staged)
                addWrapperError(RuntimeExitCodes.stageOutFailure, type: "StageOutFailure",
                                details: "\(file.moduleLabel) \(file.lfn): \(error)")
                return
            }
            staged.append(destination)
            report.setPFN(destination, ofOutput: file.lfn)
            unlink(source)
        }
    }

    /// WMCore's DQMUpload step: after a successful harvest, uploads its staged-out DQM file to every URL of `url`; here
    /// each target is a folder of the spool's stand-in for the DQM GUIs (`guiRoot/<host>/<path>/<file>`). The uploads
    /// are listed in the report's `DQMUpload` parameter; a target that cannot be written fails the job with 70318.
    mutating func uploadDQM(to url: String, guiRoot: String) {
        guard report.errors.isEmpty else { return }
        let targets: [DQMUploadTarget]
        do { targets = try DQMUploadTarget.targets(url) } catch {
            return addWrapperError(RuntimeExitCodes.dqmUploadFailure, type: "DQMUploadFailure", details: "\(error)")
        }
        var uploaded: [String] = []
        for file in report.outputFiles where file.moduleLabel != "logArchive" {
            let pfn = file.pfn
            guard let name = file.lfn.split(separator: "/").last else { continue }
            for target in targets {
                let destination = guiRoot + "/" + target.folder + "/" + name
                do {
                    try StageOut.copy(from: pfn, to: destination, expected: Self.checksums(of: file))
                } catch {
                    return addWrapperError(RuntimeExitCodes.dqmUploadFailure, type: "DQMUploadFailure",
                                           details: "upload of \(file.lfn) to \(target.url) failed: \(error)")
                }
                uploaded.append(target.url + "/" + name)
                print("DQM upload: \(file.lfn) → \(target.url) (\(destination))")
            }
        }
        if !uploaded.isEmpty { report.parameters["DQMUpload"] = uploaded.joined(separator: " ") }
    }

    // MARK: Logs and the final report

    /// Tars the step's stdout, stderr, configuration and report, stages the archive out to `logLFN`
    /// and records it as the `logArchive` output. A failure is noted but does not fail the job
    /// (WMCore's success test ignores `logArch` steps).
    mutating func archiveLogs(logLFN: String, planner: StepPlanner, job: JobBody) {
        let stepFiles = (0..<Self.maximumSteps).map(StepFiles.init).flatMap { [$0.config, $0.stdout, $0.stderr, $0.report] }
        let names = stepFiles
            .filter { FileManager.default.fileExists(atPath: scratch + "/" + $0) }
        let archive = workDirectory + "/" + Self.logArchiveName
        do {
            guard !names.isEmpty else { throw WrapperError(type: "LogArchive", details: "\(scratch): no log files to archive") }
            if let problem = LFNRule.confinementProblem(logLFN) {
                throw WrapperError(type: "LogArchive", details: "log archive LFN \(logLFN) could leave the storage: \(problem)")
            }
            var tar = TarGzip(modificationTime: Date().timeIntervalSince1970)
            for name in names { try tar.addFile(at: scratch + "/" + name, as: name) }
            _ = unlink(archive)  // an attempt run again in its work directory (a batch system's requeue) archives anew
            try TarGzip.write(tar.gzipData(), to: archive)
            let checksums = try FileChecksums.compute(path: archive)
            let destination = planner.stageOutPFN(lfn: logLFN, job: job)
            try StageOut.copy(from: archive, to: destination, expected: checksums)
            report.outputFiles.append(OutputFile(
                moduleLabel: "logArchive", lfn: logLFN, pfn: destination, guid: UUID().uuidString.uppercased(),
                outputModuleClass: "LogArchive", events: 0, branchHash: "", size: Int(checksums.size),
                adler32: checksums.adler32Hex, cksum: String(checksums.cksum)))
        } catch {
            report.parameters["LogArchiveError"] = String(describing: error)
            FileHandle.standardError.write(Data("wm-runjob: log archive: \(error)\n".utf8))
        }
    }

    /// Sets the step status and wrapper fields and writes `Report.<retry>.xml` (temporary file then
    /// rename). If the report cannot be serialised, a minimal one with 99109 is written instead.
    mutating func finish(stopTime: Date) -> JobWrapperOutcome {
        report.wrapper.stepName = JobWrapper.stepName
        report.wrapper.stopTime = stopTime.timeIntervalSince1970
        report.wrapper.stepStatus = report.exitCode
        report.wrapper.wrapperExitCode = wrapperCode
        let path = workDirectory + "/Report.\(retry).xml"
        do {
            try write(report, to: path)
        } catch {
            var minimal = FrameworkJobReport()
            minimal.wrapper = report.wrapper
            minimal.addError(FrameworkError(exitStatus: RuntimeExitCodes.wrapperException, type: "ReportWriteError",
                                            details: "the job report could not be written: \(error)"))
            minimal.wrapper.stepStatus = minimal.exitCode
            minimal.wrapper.wrapperExitCode = RuntimeExitCodes.wrapperException
            report = minimal
            do { try write(report, to: path) } catch {
                FileHandle.standardError.write(Data("wm-runjob: \(path): cannot write the report: \(error)\n".utf8))
                return JobWrapperOutcome(exitCode: report.exitCode, reportPath: nil, report: report)
            }
        }
        return JobWrapperOutcome(exitCode: report.exitCode, reportPath: path, report: report)
    }

    private func write(_ report: FrameworkJobReport, to path: String) throws {
        let temporary = workDirectory + "/.Report.\(retry).xml.tmp"
        try report.xmlData().write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            throw WrapperError(type: "ReportWriteError", details: "\(path): rename failed: \(String(cString: strerror(errno)))")
        }
    }

    // MARK: Helpers

    /// The size and checksums a report records for a file, if it has all three.
    static func checksums(of file: OutputFile) -> FileChecksums? {
        guard let size = file.size, let adler = file.adler32.flatMap({ UInt32($0, radix: 16) }),
              let cksum = file.cksum.flatMap({ UInt32($0) }) else { return nil }
        return FileChecksums(size: UInt64(size), adler32: adler, cksum: cksum)
    }

    /// The code of an ending that the report did not explain: the exit status or the signal number.
    static func code(of ending: ChildEnding) -> Int {
        switch ending {
        case .exited(let status): return Int(status)
        case .signaled(let signal): return Int(signal)
        case .wallTimeExceeded: return RuntimeExitCodes.wallTimeLimit
        case .memoryExceeded: return RuntimeExitCodes.memoryLimit
        case .virtualMemoryExceeded: return RuntimeExitCodes.virtualMemoryLimit
        }
    }

    /// How the child ended, in words.
    static func describe(_ ending: ChildEnding) -> String {
        switch ending {
        case .exited(let status): return "exited with status \(status)"
        case .signaled(let signal): return "was killed by signal \(signal) (\(String(cString: strsignal(signal))))"
        case .wallTimeExceeded(let limit, _): return "exceeded the wall-time limit \(limit.source) of \(limit.value) s"
        case .memoryExceeded(let limit, _): return "exceeded the memory limit \(limit.source) of \(limit.value) MB"
        case .virtualMemoryExceeded(let limit, _): return "exceeded the virtual-size limit \(limit.source) of \(limit.value) MB"
        }
    }
}
