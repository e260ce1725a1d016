import Foundation
import SpoolKit
import WMCore

/// One problem `fsck` found.
public struct FsckFinding: Codable, Sendable, Equatable {
    /// Kind: unreadable, state-mismatch, illegal-state, duplicate, orphan-temporary, quarantined.
    public var kind: String
    /// Spool-relative path(s).
    public var path: String
    /// Explanation.
    public var detail: String
    /// What `--repair` did, if anything.
    public var repair: String?
}

/// The operator's read-side tools over a spool: counts, listings, lookups and the consistency check.
public struct SpoolInspector {
    /// The spool.
    public let spool: Spool
    /// The areas it knows.
    public let areas: [AreaDescriptor]

    /// Makes an inspector over the layout's areas.
    public init(spool: Spool, areas: [AreaDescriptor] = SpoolLayout.areas) {
        self.spool = spool
        self.areas = areas
    }

    /// Document counts per area and state (folders that don't exist count 0), plus `corrupt`.
    public func counts() throws -> [String: [String: Int]] {
        var result: [String: [String: Int]] = [:]
        for area in areas {
            var perState: [String: Int] = [:]
            for state in area.states + ["corrupt"] {
                var n = 0
                let dir = spool.path(area.area + "/" + state)
                if SystemCall.isDirectory(dir) {
                    try SystemCall.forEachEntry(in: dir) { name, _ in
                        if !name.hasPrefix(".") && !name.hasSuffix(".part") && !DocumentArea<JobBody>.isSideFile(name) { n += 1 }
                        return true
                    }
                }
                perState[state] = n
            }
            result[area.area] = perState
        }
        return result
    }

    /// Document names in `area/state`, sorted.
    public func list(_ path: String) throws -> [String] {
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count == 2, let area = areas.first(where: { $0.area == parts[0] }),
              area.states.contains(parts[1]) || parts[1] == "corrupt" else {
            throw CommandFailure(.usage, "'\(path)' is not AREA/STATE; areas: \(areas.map(\.area).joined(separator: ", ")) (e.g. jobs/created)")
        }
        let result = try spool.scan(path)
        return result.names.map { $0.hasSuffix(area.suffix) ? String($0.dropLast(area.suffix.count)) : $0 }
    }

    /// Where a document is: every (area, state) folder holding `name`.
    public func locate(_ name: String) -> [(area: AreaDescriptor, state: String)] {
        var found: [(area: AreaDescriptor, state: String)] = []
        for area in areas {
            for state in area.states where SystemCall.exists(spool.path(area.area + "/" + state) + "/" + name + area.suffix) {
                found.append((area, state))
            }
        }
        return found
    }

    /// Checks the whole spool: every document parseable, state matches folder, no duplicates, no
    /// orphans in `.tmp/`. With `repair`, mismatches get the directory-is-the-state rule.
    public func fsck(repair: Bool, now: Double = SystemCall.now()) throws -> [FsckFinding] {
        var findings: [FsckFinding] = []
        for area in areas {
            var seen: [String: String] = [:]
            for state in area.states {
                let dir = area.area + "/" + state
                let scan = try spool.scan(dir)
                for entry in scan.ignored {
                    var finding = FsckFinding(kind: "not-a-document", path: dir + "/" + entry.name, detail: entry.explanation)
                    if repair {
                        try spool.quarantine(entry.name, in: dir, reason: entry.explanation)
                        finding.repair = "quarantined"
                    }
                    findings.append(finding)
                }
                for file in scan.names where !DocumentArea<JobBody>.isSideFile(file) {
                    let path = dir + "/" + file
                    switch area.inspect(spool, file, state) {
                    case .gone: continue
                    case .problem(let why):
                        var finding = FsckFinding(kind: "unreadable", path: path, detail: why)
                        if repair {
                            try spool.quarantine(file, in: dir, reason: why)
                            finding.repair = "quarantined"
                        }
                        findings.append(finding)
                    case .document(let name, let recorded, _):
                        if let other = seen[name] {
                            findings.append(FsckFinding(kind: "duplicate", path: path, detail: "'\(name)' is also in \(other)"))
                        }
                        seen[name] = dir
                        if recorded != state {
                            var finding = FsckFinding(kind: "state-mismatch", path: path,
                                                      detail: "recorded state '\(recorded)' but found in '\(state)/'")
                            if repair { finding.repair = try area.reconcile(spool, name, state) }
                            findings.append(finding)
                        }
                    }
                }
            }
        }
        for temp in try spool.temporaryFiles(now: now) {
            var finding = FsckFinding(kind: "orphan-temporary", path: ".tmp/" + temp.name,
                                      detail: "temporary file \(Int(temp.age)) s old (an interrupted write; nothing refers to it)")
            if repair && temp.age > 60 {
                try? SystemCall.unlink(spool.temporaryDirectory + "/" + temp.name)
                finding.repair = "removed"
            }
            findings.append(finding)
        }
        return findings
    }
}
