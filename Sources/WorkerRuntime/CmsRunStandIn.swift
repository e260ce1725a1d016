import EventFiles
import Foundation
import FrameworkJobReport
import Glibc
import SpoolKit
import WMCore

/// `wm-cmsrun`: the cmsRun stand-in. Reads a step configuration, applies the fault the plan decides
/// for this job attempt and the test knobs, runs the step, and writes a CMSSW framework job report.
public struct CmsRunStandIn {
    /// The step configuration (`step.json`).
    public var configPath: String
    /// Where the report goes (`cmsrun-report.xml`).
    public var reportPath: String
    /// The working directory outputs are written to.
    public var directory: String

    /// Makes a stand-in run.
    public init(configPath: String, reportPath: String, directory: String) {
        self.configPath = configPath
        self.reportPath = reportPath
        self.directory = directory
    }

    /// Runs the step and returns the process exit status (0, or the failure code reduced to 8 bits;
    /// the full code is in the report). A `crash` fault does not return.
    public func run() -> Int32 {
        let config: StepConfig
        let fault: Fault?
        do {
            config = try loadConfig()
            fault = try decideFault(config)
        } catch {
            return finish(failed(error))
        }
        if let megabytes = config.knobs.allocateMB { hold(megabytes: megabytes, seconds: config.knobs.holdSeconds ?? 5) }
        switch fault {
        case .hang(let seconds)?:
            Thread.sleep(forTimeInterval: seconds)
        case .crash(let signalNumber)?:
            signal(signalNumber, SIG_DFL)
            raise(signalNumber)
            _exit(128 + signalNumber)
        case .exit(let code)?:
            return finish(failed(StepFailure(code: code, type: "FaultInjected",
                                             details: "fault plan: exit with \(code) for job \(config.jobName) retry \(config.retry)")))
        case .noOutput?:
            print("fault plan: no output for job \(config.jobName) retry \(config.retry)")
            return finish(FrameworkJobReport())
        case .truncatedReport?, nil:
            break
        }
        return finish(StepExecution.report(config: config, directory: directory), truncate: fault == .truncatedReport)
    }

    private func loadConfig() throws(StepFailure) -> StepConfig {
        do {
            return try JSONDecoder().decode(StepConfig.self, from: Data(try SystemCall.readFile(configPath, limit: Spool.configurationSizeLimit)))
        } catch {
            throw StepFailure(code: RuntimeExitCodes.configurationReadError, type: "ConfigFileReadError",
                              details: "\(configPath): not a readable step configuration: \(error)")
        }
    }

    private func decideFault(_ config: StepConfig) throws(StepFailure) -> Fault? {
        guard let plan = config.faultPlan else { return nil }
        do {
            return try JSONDecoder().decode(FaultPlan.self, from: Data(plan.serialized.utf8))
                .decide(jobName: config.jobName, retry: config.retry)
        } catch {
            throw StepFailure(code: RuntimeExitCodes.configurationReadError, type: "ConfigFileReadError",
                              details: "\(configPath): faultPlan (baggage key 'faults'): expected a FaultPlan {seed, rules}: \(error)")
        }
    }

    private func failed(_ error: Error) -> FrameworkJobReport {
        StepExecution.failedReport(error)
    }

    /// Writes the report (cut in half for a `truncatedReport` fault) and returns the exit status.
    private func finish(_ report: FrameworkJobReport, truncate: Bool = false) -> Int32 {
        do {
            var data = try report.xmlData()
            if truncate { data = data.prefix(data.count / 2) }
            try data.write(to: URL(fileURLWithPath: reportPath), options: .atomic)
        } catch {
            FileHandle.standardError.write(Data("wm-cmsrun: \(reportPath): cannot write the report: \(error)\n".utf8))
            return RuntimeExitCodes.processStatus(for: RuntimeExitCodes.cmsException)
        }
        return RuntimeExitCodes.processStatus(for: report.exitCode)
    }

    /// Allocates and touches `megabytes` MB, then holds them for `seconds` (the RSS-limit knob).
    private func hold(megabytes: Int, seconds: Double) {
        let count = max(0, megabytes) << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 4096)
        defer { buffer.deallocate() }
        memset(buffer, 0x5A, count)
        Thread.sleep(forTimeInterval: seconds)
        if count > 0 { print("held \(megabytes) MB, first byte \(buffer.load(as: UInt8.self))") }
    }
}
