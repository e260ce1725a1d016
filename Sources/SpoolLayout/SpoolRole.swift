import Commands
import DynamicJSON
import Foundation
import SpoolKit
import Synchronization
import WMCore

/// What a spool is for (issue 21): today's all-in-one spool, a central spool shared by agents, or one agent's spool.
///
/// A central spool holds what CMS runs centrally: ReqMgr (`reqmgr/`), the config cache, the global work queue
/// (`workqueue/`, with each request's workload), the catalog and ACDC. An agent's spool holds everything else (its
/// WMBS, jobs, work directories, DBS buffer, archive, sites) and names its central spool in `etc/spool.json`. An
/// all-in-one spool (no `etc/spool.json`) holds both, as `wmagent init DIR` has always made it.
public enum SpoolRole: Equatable, Sendable {
    /// Everything in one spool (no `etc/spool.json`).
    case allInOne
    /// The central spool several agents share: `{"role": "central"}`.
    case central
    /// One agent's spool: `{"role": "agent", "agent": NAME, "central": "/absolute/path"}`.
    case agent(name: String, centralRoot: String)

    /// The agent's name on an agent spool, nil otherwise.
    public var agentName: String? { if case .agent(let name, _) = self { return name } else { return nil } }

    /// What an operator reads in messages: `an all-in-one spool`, `a central spool`, `agent 'a1''s spool (central
    /// /srv/central)`.
    public var description: String {
        switch self {
        case .allInOne: return "an all-in-one spool"
        case .central: return "a central spool"
        case .agent(let name, let central): return "agent '\(name)''s spool (central \(central))"
        }
    }
}

/// Reads, writes and resolves spool roles. Only this type knows `etc/spool.json`, and only this type decides which
/// spool the central areas (requests, config cache, elements and workloads, catalog, ACDC, accounts) live in: the
/// stores of those areas call `central(of:)`, so every program finds them whichever spool it was pointed at.
public enum SpoolRoles {
    /// The role file's name in `etc/`.
    public static let fileName = "spool.json"
    /// Agent names: one path component of letters, digits, `_` and `-` (they name folders and stage locks).
    public static let agentNamePattern = "1 to 64 of A-Z a-z 0-9 _ - (not starting with -, not 'corrupt')"

    private struct Resolved: Sendable {
        var role: SpoolRole
        var central: Spool?
    }

    private static let cache = Mutex<[String: Resolved]>([:])

    /// True when `name` can name an agent.
    public static func isValidAgentName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), name.first != "-", name != Spool.corruptFolderName else { return false }
        return name.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 || $0 == 45 }
    }

    /// The role of `spool`, read strictly from `etc/spool.json` (absent: all-in-one) and remembered for the process.
    ///
    /// - Throws: `ConfigurationError` naming the file and field for a malformed role document (exit 65), and
    ///   `CommandFailure(.noInput, …)` when an agent spool's central spool is missing or is not a spool (exit 66).
    @discardableResult
    public static func load(_ spool: Spool) throws -> SpoolRole {
        try resolved(spool).role
    }

    /// The role and central spool of `spool`, resolved once per root and process.
    private static func resolved(_ spool: Spool) throws -> Resolved {
        if let known = cache.withLock({ $0[spool.root] }) { return known }
        let resolved = try resolve(spool)
        cache.withLock { $0[spool.root] = resolved }
        return resolved
    }

    /// The role of `spool` (see `load`); a role document that cannot be read counts as all-in-one here, because
    /// every program calls `load` when it opens its spool and stops on such a document before this is asked.
    public static func role(of spool: Spool) -> SpoolRole {
        (try? load(spool)) ?? .allInOne
    }

    /// The spool that holds the central areas for `spool`: its central spool when it is an agent's, else itself.
    public static func central(of spool: Spool) -> Spool {
        (try? resolved(spool))?.central ?? spool
    }

    /// The agent a local queue runs as on `spool`: an agent's spool names it (a `requested` name that differs is a usage
    /// error, exit 64); elsewhere `requested`, else the configured name.
    public static func agentName(of spool: Spool, requested: String?, configured: () throws -> String) throws -> String {
        if let own = role(of: spool).agentName {
            if let requested, requested != own {
                throw CommandFailure(.usage, "--agent \(requested): \(spool.root) is agent '\(own)''s spool; leave --agent out or give '\(own)'")
            }
            return own
        }
        return try requested ?? configured()
    }

    /// True when `spool`'s central areas are in another spool (it is an agent's spool).
    public static func isAgent(_ spool: Spool) -> Bool { role(of: spool).agentName != nil }

    /// True when the central areas of `spool` are shared by agents with spools of their own (a central spool, or an
    /// agent's spool): a request's work is then spread over several agents' WMBS, and its outputs are known by the
    /// blocks each agent uploaded (`catalog/origins/`), not by one DBS buffer.
    public static func isSplit(_ spool: Spool) -> Bool { role(of: spool) != .allInOne }

    /// The bytes of a role document.
    public static func document(_ role: SpoolRole) -> [UInt8] {
        switch role {
        case .allInOne: return []
        case .central: return Array("{\"role\": \"central\"}\n".utf8)
        case .agent(let name, let central):
            let object: JSONValue = .object(["role": .string("agent"), "agent": .string(name), "central": .string(central)])
            return Array(object.serialized.utf8) + [10]
        }
    }

    /// Makes `spool` a central spool or an agent's spool (`wmagent init --central`): publishes `etc/spool.json`
    /// unless it exists. Returns false when the spool already had a role document (then it must say the same).
    ///
    /// - Throws: `CommandFailure(.cantCreate, …)` when the spool already has another role.
    @discardableResult
    public static func write(_ role: SpoolRole, to spool: Spool) throws -> Bool {
        cache.withLock { _ = $0.removeValue(forKey: spool.root) }
        defer { cache.withLock { _ = $0.removeValue(forKey: spool.root) } }
        let existing = try resolveRoleOnly(spool)
        if existing == role { return false }
        guard existing == .allInOne, !spool.contains(fileName, in: Layout.configuration) else {
            throw CommandFailure(.cantCreate, "\(spool.root) is already \(existing.description); it cannot become \(role.description)")
        }
        try spool.ensureDirectories([Layout.configuration])
        try spool.publish(document(role), as: fileName, in: Layout.configuration)
        return true
    }

    /// The role document of `spool` alone (its central spool is not checked).
    private static func resolveRoleOnly(_ spool: Spool) throws -> SpoolRole {
        let path = spool.path(Layout.configuration + "/" + fileName)
        guard SystemCall.exists(path) else { return .allInOne }
        return try parse(try ProgramInputs.readSmallFile(path), path: path)
    }

    private static func resolve(_ spool: Spool) throws -> Resolved {
        let path = spool.path(Layout.configuration + "/" + fileName)
        let role = try resolveRoleOnly(spool)
        guard case .agent(_, let centralRoot) = role else { return Resolved(role: role, central: nil) }
        guard SystemCall.isDirectory(centralRoot + "/" + ProgramInputs.spoolMark) else {
            throw CommandFailure(.noInput, "\(path): central spool '\(centralRoot)' is missing or is not a spool "
                                 + "(it has no \(ProgramInputs.spoolMark)/ folder); make it with 'wmagent init --central \(centralRoot) \(spool.root) --agent NAME'")
        }
        let central = try Spool(root: centralRoot, durability: spool.durability)
        let centralRole = try load(central)
        guard centralRole == .central else {
            throw CommandFailure(.noInput, "\(path): '\(centralRoot)' is a spool but not a central one (it is \(centralRole.description))")
        }
        return Resolved(role: role, central: central)
    }

    /// Parses a role document strictly: an unknown key, a missing or wrong-typed field, a bad agent name or a
    /// relative central path is a `ConfigurationError` naming the field.
    static func parse(_ bytes: [UInt8], path: String) throws -> SpoolRole {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw ConfigurationError(path: path, field: "", expected: "a JSON object", found: "malformed JSON (\(error))")
        }
        guard let object = value.objectValue else { throw ConfigurationError(path: path, field: "", expected: "a JSON object") }
        func string(_ key: String) throws -> String {
            guard case .string(let text)? = object[key] else {
                throw ConfigurationError(path: path, field: key, expected: "a string", found: object[key]?.typeName ?? "nothing")
            }
            return text
        }
        switch try string("role") {
        case "central":
            if let extra = object.keys.sorted().first(where: { $0 != "role" }) {
                throw ConfigurationError(path: path, field: extra, expected: "only 'role' in a central spool's role", found: "an unknown key")
            }
            return .central
        case "agent":
            if let extra = object.keys.sorted().first(where: { !["role", "agent", "central"].contains($0) }) {
                throw ConfigurationError(path: path, field: extra, expected: "'role', 'agent' and 'central'", found: "an unknown key")
            }
            let name = try string("agent")
            guard isValidAgentName(name) else {
                throw ConfigurationError(path: path, field: "agent", expected: agentNamePattern, found: "'\(name)'")
            }
            let central = try string("central")
            guard central.hasPrefix("/"), central.utf8.count <= 4096, !central.split(separator: "/").contains("..") else {
                throw ConfigurationError(path: path, field: "central", expected: "an absolute path without '..'", found: "'\(central)'")
            }
            var root = central
            while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
            return .agent(name: name, centralRoot: root)
        case let other:
            throw ConfigurationError(path: path, field: "role", expected: "'central' or 'agent'", found: "'\(other)'")
        }
    }
}
