import Foundation
import SpoolKit
import WMCore

/// One job to hand to a batch system.
public struct BatchSubmission: Sendable, Equatable {
    /// The idempotency key: job name plus retry count (`<name>-<retry>`).
    public var key: String
    /// The job's name (for logs and batch-system job names).
    public var jobName: String
    /// The job's own work directory; the payload runs there and writes its report there.
    public var workDirectory: String
    /// The program and its arguments (never passed through a shell unquoted).
    public var arguments: [String]
    /// Environment variables set for the payload (names must be shell identifiers).
    public var environment: [String: String]
    /// Wall-time limit in seconds (0: none).
    public var wallTimeLimit: Double
    /// Memory limit in MB for the whole job, all its cores together (0: none).
    public var memoryLimitMB: Double
    /// Cores the job takes (the job's `numberOfCores`): Slurm's `--cpus-per-task`, slots of the local plugin.
    public var cores: Int
    /// GPUs the job needs (1 for a job whose `requiresGPU` is required, else 0): Slurm's `--gres=gpu:N`.
    public var gpus: Int

    /// Makes a submission.
    public init(key: String, jobName: String, workDirectory: String, arguments: [String],
                environment: [String: String] = [:], wallTimeLimit: Double = 0, memoryLimitMB: Double = 0, cores: Int = 1,
                gpus: Int = 0) {
        self.key = key
        self.jobName = jobName
        self.workDirectory = workDirectory
        self.arguments = arguments
        self.environment = environment
        self.wallTimeLimit = wallTimeLimit
        self.memoryLimitMB = memoryLimitMB
        self.cores = cores
        self.gpus = gpus
    }
}

/// What a batch system says about one job.
public enum BatchStatus: Sendable, Equatable {
    /// Waiting for a slot.
    case pending
    /// Running.
    case running
    /// Finished on its own with this exit status.
    case complete(exitCode: Int32)
    /// Ended without finishing: `removed` when someone or a limit removed it (scancel, a killed
    /// process), otherwise a batch-level failure (lost, launch or node failure).
    case failed(reason: String, removed: Bool)
    /// The batch system does not know the job.
    case unknown

    /// BossAir's state: Pending, Running, Complete or Error.
    public var bossAirState: BatchState {
        switch self {
        case .pending: return .pending
        case .running: return .running
        case .complete: return .complete
        case .failed, .unknown: return .error
        }
    }
}

/// Why a batch plugin could not do something.
public enum BatchPluginError: Error, Equatable, CustomStringConvertible {
    /// The submission can't be turned into a safe script (the field and why).
    case invalidSubmission(key: String, field: String, expected: String)
    /// A batch command failed.
    case commandFailed(command: String, status: Int32, stderr: String)
    /// A batch command printed something unexpected.
    case unexpectedOutput(command: String, output: String, expected: String)
    /// The site's plugin is not known.
    case unknownPlugin(site: String, plugin: String)

    public var description: String {
        switch self {
        case let .invalidSubmission(key, field, expected): return "submission \(key): field '\(field)': expected \(expected)"
        case let .commandFailed(command, status, stderr): return "\(command) exited \(status): \(stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
        case let .unexpectedOutput(command, output, expected): return "\(command) printed '\(output)'; expected \(expected)"
        case let .unknownPlugin(site, plugin):
            return "site \(site): compute plugin '\(plugin)' is not known; expected \(ComputeSettings.knownPlugins.joined(separator: ", "))"
        }
    }
}

/// A batch system the agent submits jobs to (BossAir's plugin interface, reduced to four calls).
public protocol BatchPlugin: AnyObject {
    /// Submits jobs; one result per submission, in order: the batch id or why it failed.
    func submit(_ submissions: [BatchSubmission]) -> [Result<String, BatchPluginError>]
    /// The status of each batch id (ids the system does not know are `.unknown`).
    func status(_ ids: [String]) throws -> [String: BatchStatus]
    /// Kills (removes) the jobs; ids already gone are ignored.
    func kill(_ ids: [String]) throws
    /// The batch ids of earlier submissions with these idempotency keys (keys never submitted are absent).
    func findSubmissions(_ keys: [String]) throws -> [String: String]
}

extension BatchPlugin {
    /// The batch id of an earlier submission with this idempotency key, if any.
    public func findSubmission(_ key: String) throws -> String? {
        try findSubmissions([key])[key]
    }
}

/// One plugin per site, made on first use from the site configuration.
public final class BatchPlugins {
    /// The spool (local plugins keep their records in it).
    public let spool: Spool
    /// The sites.
    public let configuration: SiteConfiguration
    private var made: [String: BatchPlugin] = [:]
    private let factory: (Site) throws -> BatchPlugin

    /// Uses `factory` to make plugins (tests inject their own); the default builds the local, slurm and sim plugins.
    public init(spool: Spool, configuration: SiteConfiguration, factory: ((Site) throws -> BatchPlugin)? = nil) {
        self.spool = spool
        self.configuration = configuration
        self.factory = factory ?? { site in try BatchPlugins.standardPlugin(for: site, spool: spool) }
    }

    /// The plugin of a configured site.
    public func plugin(for siteName: String) throws -> BatchPlugin {
        if let plugin = made[siteName] { return plugin }
        guard let site = configuration.site(named: siteName) else {
            throw SiteConfigurationError.unknownSite(name: siteName, known: configuration.sites.map(\.name))
        }
        let plugin = try factory(site)
        made[siteName] = plugin
        return plugin
    }

    /// The built-in plugin for a site's compute settings.
    public static func standardPlugin(for site: Site, spool: Spool) throws -> BatchPlugin {
        switch site.compute.plugin {
        case "local": return try LocalBatchPlugin(spool: spool, site: site.name, slots: site.compute.slots ?? 1,
                                                  nullPayload: site.compute.payload == ComputeSettings.nullPayload)
        case "slurm": return SlurmBatchPlugin(partition: site.compute.partition, extraArguments: site.compute.sbatchArguments ?? [], spoolRoot: spool.root)
        case ComputeSettings.simulatedPlugin: return try SimulatedBatchPlugin(spool: spool, site: site.name, runs: SimulatedRuns(site.compute))
        default: throw BatchPluginError.unknownPlugin(site: site.name, plugin: site.compute.plugin)
        }
    }
}
