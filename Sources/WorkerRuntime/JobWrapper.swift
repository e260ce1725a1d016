import Foundation
import FrameworkJobReport
import JobSplitting
import SpoolKit
import SpoolLayout
import WMCore

/// What one run of the job wrapper produced.
public struct JobWrapperOutcome: Sendable {
    /// The job's exit code (0 on success): the first non-zero error of the report.
    public var exitCode: Int
    /// Where the report was written (`<workdir>/Report.<retry>.xml`), or `nil` if it could not be.
    public var reportPath: String?
    /// The report.
    public var report: FrameworkJobReport
}

/// `wm-runjob`: runs one job attempt in its work directory the way WMCore's job wrapper does.
///
/// It plans the step from `job.json` and `runtime.json`, writes `scratch/step.json`, runs
/// `wm-cmsrun` as a watched child (wall time, RSS, VSize: the agent's limits and the job's `performanceMonitor`), reads its report, applies WMCore's post-run
/// checks, stages the outputs out to their PFNs, archives and stages out the logs, and always
/// leaves `Report.<retry>.xml` with the first real cause of a failure plus the wrapper's code.
public struct JobWrapper {
    /// The job document (`<workdir>/job.json`); its folder is the work directory.
    public var jobPath: String
    /// The `wm-cmsrun` executable.
    public var cmsRunExecutable: String
    /// How each cmsRun step runs: `wm-cmsrun` as a watched child (the default), or in this process.
    public var steps: StepLauncher = .childProcess
    /// The clock (start time, dated LFNs).
    public var now: () -> Date

    /// The name of the cmsRun step in the report.
    public static let stepName = WrapperInfo.defaultStepName
    /// The cmsRun report inside the scratch folder.
    public static let cmsRunReportName = "cmsrun-report.xml"

    /// Makes a wrapper run.
    public init(jobPath: String, cmsRunExecutable: String, now: @escaping () -> Date = Date.init) {
        self.jobPath = jobPath
        self.cmsRunExecutable = cmsRunExecutable
        self.now = now
    }

    /// Makes a wrapper run whose steps run in this process (`steps`), with no `wm-cmsrun` to start: the
    /// simulated batch system's way to leave a real report and real staged outputs without a process per job.
    public init(jobPath: String, steps: StepLauncher, now: @escaping () -> Date = Date.init) {
        self.init(jobPath: jobPath, cmsRunExecutable: "", now: now)
        self.steps = steps
    }

    /// How the wrapper runs a cmsRun step.
    public enum StepLauncher: Sendable, Equatable {
        /// `wm-cmsrun` as a watched child under the job's limits, with the fault plan and knobs (a worker node).
        case childProcess
        /// The step is computed in this process, with no fault plan, knobs or limits, or with `failure` fails at once
        /// with it instead; its performance is `seconds` of wall time with every thread busy (a `sim` batch system).
        case simulated(seconds: Double, failure: StepFailure?)
    }

    /// The work directory (absolute).
    public var workDirectory: String {
        URL(fileURLWithPath: jobPath).standardizedFileURL.deletingLastPathComponent().path
    }

    /// Runs the attempt; never throws: every failure ends up in the report.
    public func run() -> JobWrapperOutcome {
        let start = now()
        var attempt = WrapperAttempt(workDirectory: workDirectory, start: start)
        do {
            let job = try loadJob()
            attempt.stamp(job: job.name, retry: job.retryCount)
            let runtime = try loadRuntime()
            let planner = StepPlanner(defaultSpool: JobWorkDirectory.spoolRoot(ofWorkDirectory: workDirectory), storageFolder: Layout.storageRoot, runtime: runtime, now: start)
            attempt.report.wrapper.siteName = runtime.resolvedSite(jobSite: job.site)
            defer { attempt.archiveLogs(logLFN: planner.logArchiveLFN(job), planner: planner, job: job) }
            let configs = try planner.planSteps(job)
            let limits = ChildLimits.of(job: job, runtime: runtime)
            for (index, config) in configs.enumerated() {
                let files = WrapperAttempt.StepFiles(index: index)
                try attempt.writeStepConfig(config, name: files.config)
                let child = try runStep(config, files: files, scratch: attempt.scratch, limits: limits)
                attempt.absorbStep(child, files: files, index: index, config: config, chain: configs.count > 1)
                guard attempt.report.errors.isEmpty else { break }
            }
            attempt.checkOutputs(mode: configs[0].mode)
            let outputs = configs.flatMap(\.outputs)
            attempt.stageOut(outputs: outputs.filter(\.stagedOut)) { lfn in planner.stageOutPFN(lfn: lfn, job: job) }
            if configs[0].mode == .harvest, let url = job.baggage[DQMUploadTarget.baggageKey]?.stringValue {
                attempt.uploadDQM(to: url, guiRoot: JobWorkDirectory.spoolRoot(ofWorkDirectory: workDirectory) + "/" + Layout.dqmGUI)
            }
        } catch {
            attempt.wrapperFailed(error)
        }
        return attempt.finish(stopTime: now())
    }

    /// Runs one planned step as `steps` says; its report is left in `scratch/<files.report>` either way.
    private func runStep(_ config: StepConfig, files: WrapperAttempt.StepFiles, scratch: String, limits: ChildLimits) throws -> ChildRun {
        switch steps {
        case .childProcess:
            return try WatchedChild.run(executable: cmsRunExecutable, arguments: ["--config", files.config, "--report", files.report],
                                        directory: scratch, stdoutPath: scratch + "/" + files.stdout,
                                        stderrPath: scratch + "/" + files.stderr, limits: limits)
        case .simulated(let seconds, let failure):
            var report: FrameworkJobReport
            if let failure {
                report = FrameworkJobReport()
                report.addError(failure.frameworkError)
            } else {
                report = StepExecution.report(config: config, directory: scratch)
            }
            try report.xmlData().write(to: URL(fileURLWithPath: scratch + "/" + files.report), options: .atomic)
            let status = RuntimeExitCodes.processStatus(for: report.exitCode)
            let threads = Double(WrapperAttempt.Threads(of: config).threads)
            return ChildRun(ending: .exited(status), wallSeconds: seconds, cpuSeconds: seconds * threads, peakRSSMB: 0)
        }
    }

    private func loadJob() throws(WrapperError) -> JobBody {
        do {
            return try JSONDecoder().decode(JobBody.self, from: Data(try SystemCall.readFile(jobPath)))
        } catch {
            throw WrapperError(type: "BadJobDocument", details: "\(jobPath): not a readable job document: \(error)")
        }
    }

    /// The work directory's `runtime.json` (the submitter always writes one; a missing one gives the defaults),
    /// read without blocking or following a link.
    private func loadRuntime() throws -> JobRuntime {
        let path = workDirectory + "/runtime.json"
        let bytes: [UInt8]
        do {
            bytes = try SystemCall.readFile(path, limit: Spool.configurationSizeLimit)
        } catch let missing as SystemCallError where missing.errno == ENOENT {
            return JobRuntime()
        } catch {
            throw RuntimePlanError.unreadableRuntime(path: path, reason: "\(error)")
        }
        return try JobRuntime.decode(bytes, path: path)
    }
}

/// An error of the wrapper itself (reported as 99109).
struct WrapperError: Error, CustomStringConvertible {
    /// The exception type.
    var type: String
    /// What went wrong, naming the file.
    var details: String

    var description: String { "\(type): \(details)" }
}
