import BatchSystems
import Commands
import Foundation
import FrameworkJobReport
import SpoolKit
import SpoolLayout
import Stages
import WMCore

/// One problem `fsck` found.
public struct FsckFinding: Codable, Sendable, Equatable {
    /// Kind: not-a-document, unreadable, wrong-name, duplicate, state-mismatch, vanished-job, foreign-report, orphan-temporary.
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
    public init(spool: Spool, areas: [AreaDescriptor] = Areas.all) {
        self.spool = spool
        self.areas = areas
    }

    /// Document counts per area and state (folders that don't exist count 0), plus `corrupt`.
    public func counts() throws -> [String: [String: Int]] {
        var result: [String: [String: Int]] = [:]
        for area in areas {
            var perState: [String: Int] = [:]
            for state in area.states + [Spool.corruptFolderName] {
                var n = 0
                let folder = area.area + "/" + state
                if spool.isFolder(folder) {
                    try spool.forEachEntry(in: folder) { name, _ in
                        if !name.hasPrefix(".") && !Spool.isWriteInProgress(name) && !DocumentArea<JobBody>.isSideFile(name) { n += 1 }
                        return true
                    }
                }
                perState[state] = n
            }
            result[area.area] = perState
        }
        return result
    }

    /// Document names in `area/state` (e.g. `jobs/created`, `dbsbuffer/blocks/Open`), sorted.
    public func list(_ path: String) throws -> [String] {
        guard let (area, state) = folder(path) else {
            throw CommandFailure(.usage, "'\(path)' is not AREA/STATE; areas: \(areas.map(\.area).joined(separator: ", ")) "
                                 + "(e.g. jobs/created, \(Layout.blocksRoot)/Open)")
        }
        let result = try spool.scan(area.area + "/" + state)
        return result.names.map { $0.hasSuffix(area.suffix) ? String($0.dropLast(area.suffix.count)) : $0 }
    }

    /// The area and state folder (one of its states or `corrupt`) that `AREA/STATE` names, or nil. The state is
    /// the last component and the area everything before it, so an area may hold a slash (`dbsbuffer/blocks`);
    /// empty components (`jobs/created/`) are ignored.
    func folder(_ path: String) -> (area: AreaDescriptor, state: String)? {
        let parts = path.split(separator: "/").map(String.init)
        guard let state = parts.last, parts.count >= 2 else { return nil }
        let name = parts.dropLast().joined(separator: "/")
        guard let area = areas.first(where: { $0.area == name }), area.states.contains(state) || state == Spool.corruptFolderName else { return nil }
        return (area, state)
    }

    /// Where a document is: every (area, state) folder holding `name`.
    public func locate(_ name: String) -> [(area: AreaDescriptor, state: String)] {
        var found: [(area: AreaDescriptor, state: String)] = []
        for area in areas {
            for state in area.states where spool.contains(name + area.suffix, in: area.area + "/" + state) {
                found.append((area, state))
            }
        }
        return found
    }

    /// Checks the whole spool: every document parseable, named as its file, state matches folder, one copy of
    /// each document, no job vanished, no report in `jobs/complete` that belongs to another job, no orphans in
    /// `.tmp/`. With `repair`, mismatches get the directory-is-the-state rule, every extra copy is quarantined
    /// (never recorded as a move) and a vanished job's work is failed into ACDC (`VanishedJobs`).
    public func fsck(repair: Bool, now: Double = WallClock.now()) throws -> [FsckFinding] {
        var findings: [FsckFinding] = []
        for area in areas {
            // Every readable document of the area, by the name its content gives, in table order of its folders.
            var found: [String: [(dir: String, file: String, state: String, recorded: String)]] = [:]
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
                        found[name, default: []].append((dir, file, state, recorded))
                    }
                }
            }
            for (name, copies) in found.sorted(by: { $0.key < $1.key }) {
                // The copy that stays: named as its file, recorded state equal to its folder when one is.
                let named = copies.filter { $0.file == name + area.suffix }
                let kept = named.first { $0.recorded == $0.state } ?? named.first
                for copy in copies where copy.dir != kept?.dir || copy.file != kept?.file {
                    let path = copy.dir + "/" + copy.file
                    let elsewhere = copies.filter { $0.dir != copy.dir || $0.file != copy.file }.map { $0.dir + "/" + $0.file }
                    let detail = copy.file != name + area.suffix
                        ? "\(path): field 'name' is '\(name)', expected '\(copy.file.dropLast(area.suffix.count))' (the file name); "
                            + (elsewhere.isEmpty ? "no other copy" : "the document of '\(name)' is " + elsewhere.joined(separator: " and "))
                        : "\(path): a second copy of '\(name)' (recorded state '\(copy.recorded)'); the document is also in "
                            + elsewhere.joined(separator: " and ") + "; a document exists in one place only"
                    var finding = FsckFinding(kind: copy.file != name + area.suffix ? "wrong-name" : "duplicate", path: path, detail: detail)
                    if repair {
                        try spool.quarantine(copy.file, in: copy.dir, reason: detail)
                        finding.repair = "quarantined"
                    }
                    findings.append(finding)
                }
                if let kept, kept.recorded != kept.state {
                    var finding = FsckFinding(kind: "state-mismatch", path: kept.dir + "/" + kept.file,
                                              detail: "recorded state '\(kept.recorded)' but found in '\(kept.state)/'")
                    if repair { finding.repair = try area.reconcile(spool, name, kept.state) }
                    findings.append(finding)
                }
            }
            if area.area == Layout.jobsRoot {
                let inFolders = Set(found.compactMap { name, copies in copies.contains { $0.file == name + area.suffix } ? name : nil })
                findings += try checkJobs(inFolders: inFolders, complete: found.compactMap { name, copies in
                    copies.contains { $0.state == JobState.complete.rawValue && $0.file == name + area.suffix } ? name : nil
                }, repair: repair, now: now)
            }
        }
        for temp in try spool.temporaryFiles(now: now) {
            var finding = FsckFinding(kind: "orphan-temporary", path: Spool.temporaryFolderName + "/" + temp.name,
                                      detail: "temporary file \(Int(temp.age)) s old (an interrupted write; nothing refers to it)")
            if repair && temp.age > 60 {
                try? spool.removeTemporaryFile(temp.name)
                finding.repair = "removed"
            }
            findings.append(finding)
        }
        return findings
    }
}

extension SpoolInspector {
    /// The checks of the jobs area beyond its documents: every job marker (`JobMarkers`) has its job in a state
    /// folder (else the job vanished), and every report waiting in `jobs/complete` belongs to its job attempt.
    func checkJobs(inFolders: Set<String>, complete: [String], repair: Bool, now: Double) throws -> [FsckFinding] {
        var findings: [FsckFinding] = []
        let store = WMBSStore(spool: spool)
        let markers = JobMarkers(spool: spool)
        for workflow in try store.workflows() {
            var records: [AccountingRecord]?
            for sub in try store.subscriptions(of: workflow) {
                for name in try markers.jobs(workflow, sub.name).sorted() where !inFolders.contains(name) && !markers.isInAStateFolder(name) {
                    guard let job = try markers.job(name, workflow: workflow, subscription: sub.name) else { continue }
                    var finding = FsckFinding(kind: "vanished-job", path: markers.folder(workflow, sub.name) + "/" + name + ".json",
                                              detail: "job \(name) was created and never archived, but \(Areas.jobs(spool).whereabouts(of: name)); "
                                                + "its work (\(job.inputFiles.count) input file(s)) is unfinished")
                    if repair {
                        if records == nil { records = try AccountingRecords.read(spool: spool, workflow: workflow) }
                        try VanishedJobs(spool: spool, log: nil).record(job.body, attempts: records!.filter { $0.job == name }, now: now)
                        finding.repair = "work failed into ACDC (exit code \(VanishedJobs.exitCode)), marker removed"
                    }
                    findings.append(finding)
                }
            }
        }
        let jobs = Areas.jobs(spool)
        for name in complete.sorted() {
            guard let bytes = try spool.read(jobs.fileName(name), in: jobs.folder(.complete)),
                  case .success(let job) = jobs.decode(bytes, file: jobs.folder(.complete) + "/" + jobs.fileName(name)) else { continue }
            let work = JobWorkDirectory(spool: spool, job: job.body)
            guard let report = try? FrameworkJobReportReader().read(contentsOfFile: work.reportPath),
                  let foreign = AccountingPlanner.ownership(report, job: job.body, source: work.relativePath + "/Report.\(job.retryCount).xml")
            else { continue }
            findings.append(FsckFinding(kind: "foreign-report", path: jobs.folder(.complete) + "/" + jobs.fileName(name),
                                        detail: foreign.description + " (the accountant fails the attempt with \(foreign.exitCode))"))
        }
        return findings
    }
}

/// An Available element no agent of this spool can take as things stand, and why.
public struct BlockedElement: Sendable, Equatable {
    /// The element's request.
    public var request: String
    /// The element id.
    public var element: String
    /// Why it cannot be pulled (`PullMatching.blocker`).
    public var reason: String
}

extension SpoolInspector {
    /// The Available elements the agent configured by `config` can never pull with the sites of
    /// `etc/sites.json` as they stand: a site the agent does not know, no Normal site, another team.
    /// Their requests would wait forever without a word; `wmctl status` and `wmctl request show` say why.
    public func blockedElements(config: AgentConfiguration, now: Double = WallClock.now()) throws -> [BlockedElement] {
        let resources = try LocalWorkQueueStage.resources(agent: config.agentName, config: config, spool: spool)
        return try ElementStore(spool: spool).elements(in: [.available], now: now).compactMap { element in
            PullMatching.blocker(element.body, agent: resources).map {
                BlockedElement(request: element.body.requestName, element: element.name, reason: $0)
            }
        }.sorted { ($0.request, $0.element) < ($1.request, $1.element) }
    }
}

/// A created job the submitter leaves waiting however free the sites are, and why (`SiteSelection.candidates`).
public struct WaitingJob: Sendable, Equatable {
    /// The job's name.
    public var job: String
    /// Why it waits (a GPU job whose sites have none, only Draining sites).
    public var reason: String
}

extension SpoolInspector {
    /// The jobs of `jobs/created` that wait for something other than free slots, as the submitter's site choice would
    /// find them now with `etc/sites.json` as it stands: `wmctl status` and `wmctl show` say why.
    public func waitingJobs(now: Double = WallClock.now()) throws -> [WaitingJob] {
        let configuration = try ExecutionLayout.siteConfiguration(spool: spool)
        let area = Areas.jobs(spool)
        return try area.scan(.created).sorted().compactMap { name in
            guard let doc = try area.peek(name, in: .created) else { return nil }
            return waitingReason(doc.body, configuration: configuration, now: now).map { WaitingJob(job: name, reason: $0) }
        }
    }

    /// Why a created job waits, or nil.
    func waitingReason(_ job: JobBody, configuration: SiteConfiguration, now: Double) -> String? {
        let extra: MatchRequirement.AtSite?
        do { extra = try MatchRequirement.of(job) } catch { return "its jobExtraMatchRequirements cannot be evaluated: \(error)" }
        guard case .wait(let reason) = SiteSelection.candidates(possibleSites: job.possibleSites, taskType: job.taskType,
                                                                configuration: configuration, now: now, needsGPU: job.needsGPU, gpuRequirements: job.gpuRequirements,
                                                                extraRequirement: extra)
        else { return nil }
        return reason
    }
}
