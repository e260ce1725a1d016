import Commands
import Foundation
import Glibc
import SpoolKit
import Tier0
import WMCore

/// How programs find and open what they are pointed at: the spool (which must exist) and the agent
/// configuration (one place, read strictly). `wmagent init` is the only program that makes a spool.
public enum ProgramInputs {
    /// The spool root when no `--spool` is given: `$WM_SPOOL`, else `./spool`.
    public static func defaultSpoolPath(environment: [String: String]) -> String {
        environment["WM_SPOOL"].flatMap { $0.isEmpty ? nil : $0 } ?? "spool"
    }

    /// What marks a folder as a spool: SpoolKit's staging folder, which every spool has from the moment
    /// `wmagent init` makes it (and which nothing else makes).
    public static let spoolMark = Spool.temporaryFolderName

    /// True when `path` is a folder with the spool's mark (made by `wmagent init`).
    public static func isSpool(_ path: String) -> Bool { SystemCall.isDirectory(path + "/" + spoolMark) }

    /// Opens the existing spool at `path` for `program`.
    ///
    /// - Throws: `CommandFailure(.noInput, …)` when `path` does not exist, is not a folder, or is a folder
    ///   without the spool's mark, or is an agent's spool whose central spool is missing; nothing is created. A
    ///   malformed role document (`etc/spool.json`) is a `ConfigurationError` (exit 65).
    public static func existingSpool(_ path: String, program: String, durability: Durability = .full) throws -> Spool {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw CommandFailure(.noInput, "\(program): spool '\(path)': \(String(cString: strerror(errno))); make one with 'wmagent init \(path)'")
        }
        guard (status.st_mode & S_IFMT) == S_IFDIR else {
            throw CommandFailure(.noInput, "\(program): spool '\(path)' is not a folder")
        }
        guard SystemCall.isDirectory(path + "/" + spoolMark) else {
            throw CommandFailure(.noInput, "\(program): '\(path)' is not a spool (it has no \(spoolMark)/ folder); make one with 'wmagent init DIR'")
        }
        let spool = try Spool(root: path, durability: durability)
        try SpoolRoles.load(spool)
        return spool
    }

    /// The agent configuration's file: `--config FILE` when given, else `<spool>/etc/agent.json`. The only
    /// place this choice is made.
    public static func configurationPath(explicit: String?, spoolRoot: String) -> String {
        explicit ?? spoolRoot + "/" + Layout.agentConfiguration
    }

    /// Reads a small regular file without following a link or blocking (a FIFO or device is refused, not
    /// waited on): SpoolKit's `SystemCall.readFile` with the configuration size limit.
    ///
    /// - Throws: `ConfigurationError` with `missing` set when the file is absent, unreadable, not a regular
    ///   file, or larger than `limit`.
    public static func readSmallFile(_ path: String, limit: Int = Spool.configurationSizeLimit) throws -> [UInt8] {
        do {
            return try SystemCall.readFile(path, limit: limit)
        } catch let refused as RefusedFile {
            throw ConfigurationError(path: path, field: "", expected: "a readable regular file of at most \(limit) bytes",
                                     found: refused.foundPhrase, missing: true)
        } catch let failure as SystemCallError {
            throw ConfigurationError(path: path, field: "", expected: "a readable regular file of at most \(limit) bytes",
                                     found: String(cString: strerror(failure.errno)), missing: true)
        }
    }
}

extension AgentConfiguration {
    /// Loads a configuration file strictly: a missing, unreadable or non-regular file, malformed JSON, an
    /// unknown key or an out-of-range value is a `ConfigurationError` naming the file and the key.
    public static func load(path: String) throws -> AgentConfiguration {
        try AgentConfiguration(validating: try ProgramInputs.readSmallFile(path), path: path)
    }
}

extension Tier0Configuration {
    /// Loads `etc/t0.json` (or `path`) strictly: a missing, unreadable or non-regular file, malformed JSON, an
    /// unknown key or an out-of-range value is a `ConfigurationError` naming the file and the key.
    public static func load(path: String) throws -> Tier0Configuration {
        try Tier0Configuration(validating: try ProgramInputs.readSmallFile(path), path: path)
    }
}
