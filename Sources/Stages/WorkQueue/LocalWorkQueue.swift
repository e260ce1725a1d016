import BatchSystems
import Foundation
import JobSplitting
import SpoolKit
import SpoolLayout
import Synchronization
import WMCore

/// `wm-workqueue local --agent NAME`: the local queue inside an agent.
///
/// Pulls Available elements its sites can run (pending slots of Normal sites × queue depth, site lists,
/// data locations), claiming each by `rename` so any number of agents can share one global queue;
/// injects each acquired element into WMBS (subscriptions, filesets, the MC fake file or the block's
/// files) and marks it Running; releases the unstarted elements of agents that stopped reporting.
public struct LocalWorkQueueStage: StageCycle {
    /// The agent's name.
    public let agent: String
    /// Most elements pulled per cycle (WMCore cfg: 200).
    public let pullLimit: Int
    public var name: String { "wm-workqueue-local-\(agent)" }

    /// Makes the stage for one agent.
    public init(agent: String, pullLimit: Int = 200) {
        self.agent = agent
        self.pullLimit = pullLimit
    }

    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let config = try context.agentConfiguration()
        let store = ElementStore(spool: context.spool)
        try store.ensureFolders()
        try recordHeartbeat(store: store, context: context)
        // With spools of their own, the central global queue takes back the work of silent agents.
        var report = SpoolRoles.isSplit(context.spool) ? CycleReport()
            : try releaseStale(store: store, timeout: config.workQueue.agentTimeout, context: context)
        report.include(try pull(store: store, config: config, context: context))
        report.include(try inject(store: store, config: config, context: context))
        report.include(try finishSamples(store: store, context: context))
        try reportProgress(store: store, context: context)
        report.include(try syncPriorities(store: store, context: context))
        report.include(try cancel(store: store, context: context))
        return report
    }

    /// On an agent's own spool, the agent's heartbeat in the central spool: its local queue's health record there
    /// (`.status/wm-workqueue-local-<agent>.json`), written at the start of every cycle, is what the global queue
    /// reads to tell a silent agent from a busy one. (On an all-in-one spool the record is the stage runner's own.)
    func recordHeartbeat(store: ElementStore, context: StageContext) throws {
        guard !context.options.dryRun, store.spool.root != context.spool.root else { return }
        let previous = StageHealth.read(stage: name, spool: store.spool)
        StageHealth(stage: name, pid: getpid(), lastCycle: context.now(), lastProgress: previous?.lastProgress ?? context.now(),
                    itemsDone: previous?.itemsDone ?? 0, backlog: 0).record(in: store.spool)
    }

    /// This agent's Running validation samples whose processing has finished go to Done with their job counts.
    ///
    /// The sample is judged on its own processing jobs, not on the merges of its output: the request's merge
    /// filesets close only once every element is injected, and the held elements are not injected before the
    /// sample is judged (the merges of the sample's output run with the rest of the request).
    func finishSamples(store: ElementStore, context: StageContext) throws -> CycleReport {
        let wmbs = WMBSStore(spool: context.spool)
        let closer = FilesetCloser(spool: context.spool, log: context.log)
        let pass = TransitionPass(area: store.area, actor: name)
        var report = try pass.run(.running, batchSize: context.options.batchSize, context: context) { element in
            guard element.agent == agent, element.validationSample else { return false }
            guard let workload = try store.workload(element.requestName) else {
                throw DocumentProblem("no workload stored for request \(element.requestName) in \(ElementStore.workloads)")
            }
            guard let top = workload.task(path: element.taskName) ?? workload.task(named: element.taskName) else {
                throw DocumentProblem("validation sample \(element.name): task '\(element.taskName)' is not in workload \(workload.name)")
            }
            let subscription = WMBSInjector.subscriptionName(top, element: element.name)
            guard try wmbs.subscription(workload.name, subscription) != nil,
                  try wmbs.fileset(workload.name, WMBSInjector.topFilesetName(workflow: workload.name, task: top, element: element.name))?.open == false,
                  try closer.isIdle(workload.name, subscription) else { return false }
            let records = try AccountingRecords.read(spool: context.spool, workflow: workload.name)
            element.progress = Self.sampleProgress(records, workflowKey: WMBSStore.workflowKey(workload.name), subscription: subscription)
            let p = element.progress
            try element.transition(to: .done, actor: name, reason: "validation sample processed: \(p.jobsSucceeded) job(s) succeeded, "
                                   + "\(p.jobsFailed) failed, \(p.eventsProcessed) event(s)", at: context.now())
            return true
        }
        report.backlog = 0  // a sample still processing waits for its jobs
        return report
    }

    /// Seconds at least between two progress reports of an agent's Running elements (per process).
    static let progressInterval: Double = 30
    private static let lastProgressReport = Mutex<[String: Double]>([:])

    /// On an agent's own spool, WMCore's local queue reporting progress to the global queue: the progress of this
    /// agent's Running elements (jobs succeeded and failed, events, of each element's top subscription, from the
    /// accounting records) is written into their central documents when it changed, at most every
    /// `progressInterval` seconds. The final figures travel with the completion report.
    func reportProgress(store: ElementStore, context: StageContext) throws {
        guard SpoolRoles.isAgent(context.spool), !context.options.dryRun else { return }
        let now = context.now()
        let due = Self.lastProgressReport.withLock { last in
            guard now - (last[agent] ?? -.infinity) >= Self.progressInterval else { return false }
            last[agent] = now
            return true
        }
        guard due else { return }
        var records: [String: [AccountingRecord]] = [:]
        var workloads: [String: Workload?] = [:]
        _ = try TransitionPass(area: store.area, actor: name).run(.running, batchSize: context.options.batchSize, context: context) { element in
            guard element.agent == agent,
                  let progress = try Self.progress(of: element.body, store: store, spool: context.spool, records: &records, workloads: &workloads),
                  progress != element.progress else { return false }
            element.progress = progress
            return true
        }
    }

    /// The progress of `element`'s top subscription in this agent's WMBS, from the workflow's accounting records
    /// (read once per workflow into `records`); nil when its workload or task is unknown.
    static func progress(of element: ElementBody, store: ElementStore, spool: Spool, records: inout [String: [AccountingRecord]],
                         workloads: inout [String: Workload?]) throws -> ElementProgress? {
        guard let subscription = try topSubscription(of: element, store: store, workloads: &workloads) else { return nil }
        let workflowRecords = try records[element.requestName] ?? AccountingRecords.read(spool: spool, workflow: element.requestName)
        records[element.requestName] = workflowRecords
        return sampleProgress(workflowRecords, workflowKey: WMBSStore.workflowKey(element.requestName), subscription: subscription)
    }

    /// The name of `element`'s top subscription in WMBS (its workload read once per request into `workloads`); nil
    /// when its workload or task is unknown.
    static func topSubscription(of element: ElementBody, store: ElementStore, workloads: inout [String: Workload?]) throws -> String? {
        let workload = try workloads[element.requestName] ?? store.workload(element.requestName)
        workloads[element.requestName] = workload
        guard let workload, let top = workload.task(path: element.taskName) ?? workload.task(named: element.taskName) else { return nil }
        return WMBSInjector.subscriptionName(top, element: element.name)
    }

    /// Job states in which a job waits to run: a priority change still matters to them.
    static let queuedJobStates: [JobState] = [.created, .createcooloff, .submitcooloff, .jobcooloff, .createpaused, .submitpaused, .jobpaused]

    /// WMCore's JobUpdater: the priority of this agent's Running elements reaches their workflows' WMBS
    /// subscriptions and the jobs of those subscriptions that have not started (created, cooling off, paused).
    ///
    /// The top subscription of a validation sample keeps the sample's priority; every other subscription of
    /// a workflow takes the priority of the workflow's other elements (the request's, kept in step by the
    /// global queue). Jobs are only read when a subscription's priority changed.
    func syncPriorities(store: ElementStore, context: StageContext) throws -> CycleReport {
        let wmbs = WMBSStore(spool: context.spool)
        var jobPriority: [String: Int] = [:]   // subscription prefix of job names → new job priority
        let running = try store.elements(in: [.running], now: context.now()).filter { $0.agent == agent }
        for (workflow, elements) in Dictionary(grouping: running, by: \.requestName) {
            guard let priority = elements.filter({ !$0.validationSample }).map(\.priority).max(),
                  let workload = try store.workload(workflow) else { continue }
            let sampleTops = Set(try store.elements(ofRequest: workflow).filter(\.validationSample).compactMap { sample in
                (workload.task(path: sample.taskName) ?? workload.task(named: sample.taskName)).map { WMBSInjector.subscriptionName($0, element: sample.name) }
            })
            var changed: [Subscription] = []
            for var subscription in try wmbs.subscriptions(of: workflow)
            where !sampleTops.contains(subscription.name) && subscription.requestPriority != priority {
                subscription.requestPriority = priority
                changed.append(subscription)
                jobPriority[JobName.subscriptionPrefix(workflowKey: WMBSStore.workflowKey(workflow), subscription: subscription.name)] = subscription.jobPriority
            }
            guard !changed.isEmpty else { continue }
            try context.spool.inBatch { batch in for subscription in changed { try wmbs.save(subscription, in: batch) } }
            context.log.info("priority changed", ["workflow": workflow, "priority": String(priority), "subscriptions": String(changed.count)])
        }
        var report = CycleReport()
        guard !jobPriority.isEmpty else { return report }
        let pass = TransitionPass(area: Areas.jobs(context.spool), actor: name)
        for state in Self.queuedJobStates {
            report.include(try pass.run(state, batchSize: context.options.batchSize, context: context) { job in
                guard let prefix = JobName.subscriptionPrefix(of: job.name), let priority = jobPriority[String(prefix)],
                      job.priority != priority else { return false }
                job.priority = priority
                return true
            })
        }
        report.backlog = 0
        return report
    }

    /// The outcome of a subscription's jobs from their accounting records: a job succeeded when one of its
    /// attempts did, failed when every attempt failed (the subscription is idle: no attempt is still to come).
    static func sampleProgress(_ records: [AccountingRecord], workflowKey: String, subscription: String) -> ElementProgress {
        let prefix = JobName.subscriptionPrefix(workflowKey: workflowKey, subscription: subscription)
        var succeeded: [String: Int] = [:]   // job → events of its successful attempt
        var failed: Set<String> = []
        for record in records where JobName.subscriptionPrefix(of: record.job) == prefix[...] {
            if record.outcome == "success" { succeeded[record.job] = max(succeeded[record.job] ?? 0, record.events) } else { failed.insert(record.job) }
        }
        failed.subtract(succeeded.keys)
        let events = SaturatingArithmetic.sum(succeeded.values)
        return ElementProgress(jobsSucceeded: succeeded.count, jobsFailed: failed.count, eventsProcessed: events)
    }

    /// Elements of aborted requests (CancelRequested): kill the workflow's jobs, then Canceled.
    func cancel(store: ElementStore, context: StageContext) throws -> CycleReport {
        let pass = TransitionPass(area: store.area, actor: name)
        let killer = JobKiller(spool: context.spool)
        return try pass.run(.cancelRequested, batchSize: context.options.batchSize, context: context) { element in
            guard element.agent == agent || element.agent == nil else { return false }
            let now = context.now()
            let jobs = try killer.liveJobs(ofWorkflow: element.requestName, now: now)
            let killed = try killer.kill(jobs, actor: name, reason: "request \(element.requestName) aborted", now: now)
            try element.transition(to: .canceled, actor: name, reason: "\(killed) job(s) killed", at: now)
            return true
        }
    }

    /// The agent's resources: every Normal site's pending slots, less the jobs already queued there.
    func resources(config: AgentConfiguration, context: StageContext) throws -> AgentResources {
        try Self.resources(agent: agent, config: config, spool: context.spool)
    }

    /// The resources agent `agent` offers on `spool` as its sites stand now (what a pull matches against).
    ///
    /// Queued work is the jobs waiting in `created/` and, with a spool of its own, the jobs of the agent's elements not
    /// yet made into jobs (Acquired, or Running with their input still available in WMBS): an agent that runs its
    /// local queue's cycles back to back would otherwise see free slots until its job creator ran, and pull every
    /// element of the central queue before another agent's first cycle.
    package static func resources(agent: String, config: AgentConfiguration, spool: Spool) throws -> AgentResources {
        let sites = try ExecutionLayout.siteConfiguration(spool: spool)
        let created = try spool.scan(Areas.jobs(spool).folder(.created)).names.count + (SpoolRoles.isAgent(spool) ? try pulledJobs(agent: agent, spool: spool) : 0)
        let normal = sites.sites.filter { $0.state == .normal }
        var agentSites: [String: AgentSite] = [:]
        for site in sites.sites {
            // Queued jobs are not yet bound to a site: share them evenly over the Normal sites.
            agentSites[site.name] = AgentSite(state: site.state, pendingSlots: site.slots.pendingSlots,
                                              queuedJobs: normal.isEmpty ? 0 : created / normal.count)
        }
        return AgentResources(agent: agent, teams: [config.team], sites: agentSites, queueDepth: config.workQueue.queueDepth)
    }

    /// The jobs of `agent`'s elements not yet made into jobs: Acquired ones, and Running ones whose top subscription
    /// still has available input in this spool's WMBS.
    static func pulledJobs(agent: String, spool: Spool) throws -> Int {
        let store = ElementStore(spool: spool)
        let wmbs = WMBSStore(spool: spool)
        var jobs = 0
        var workloads: [String: Workload?] = [:]
        for element in try store.elements(in: [.acquired, .running]) where element.agent == agent {
            if element.state == .running {
                guard let subscription = try topSubscription(of: element.body, store: store, workloads: &workloads),
                      !(try wmbs.fileKeys(element.requestName, subscription, in: .available)).isEmpty else { continue }
            }
            jobs = SaturatingArithmetic.sum([jobs, element.jobs])
        }
        return jobs
    }

    /// The agent's private claim folder: an element is renamed here (the claim: exactly one agent wins),
    /// its content updated, and only then moved to `Acquired/`, so no other agent ever sees it half-claimed.
    static func claimFolder(_ agent: String) -> String { Layout.claims(of: agent) }

    /// Claims matching Available elements and records this agent on them.
    func pull(store: ElementStore, config: AgentConfiguration, context: StageContext) throws -> CycleReport {
        var report = CycleReport()
        let now = context.now()
        let claims = Self.claimFolder(agent)
        let central = store.spool
        try central.ensureDirectories([claims])
        var claimed = try central.scan(claims).names  // left by a crash: finish them first
        // Requests the global queue took back from this agent (it was silent too long) are never pulled again by it.
        let fenced = Set(central.isFolder(Layout.fences(of: agent)) ? try central.scan(Layout.fences(of: agent)).names : [])
        // An agent that lost every claim to a faster one looks again (a few times) rather than ending its
        // cycle empty-handed while work is left.
        for _ in 0..<5 {
            let available = try store.elements(in: [.available, .negotiating], now: now).filter { !fenced.contains($0.requestName) }
            if available.isEmpty { break }
            if context.options.dryRun {
                for element in available { context.log.info("could acquire", ["element": element.name]) }
                break
            }
            let matches = PullMatching.match(available.map(\.body), agent: try resources(config: config, context: context), now: now,
                                             agingWeight: config.workQueue.agingWeight, maxElements: pullLimit)
            let from = store.area.folder(.available)
            var lost = 0
            // Claim in a random order (WMCore's pull shuffles too): agents pulling at the same moment then
            // mostly go for different elements instead of all racing for the same head of the queue.
            for match in matches.shuffled() {
                let file = store.area.fileName(match.element)
                if try NoClobberRename.rename(central.path(from) + "/" + file, central.path(claims) + "/" + file) == .moved {
                    claimed.append(file)
                } else {
                    lost += 1
                }
            }
            if !claimed.isEmpty || lost == 0 { break }
        }
        guard !claimed.isEmpty else { return report }
        try central.inBatch { batch in
            batch.touch(store.area.folder(.available))
            for file in claimed {
                guard let bytes = try central.read(file, in: claims),
                      case .success(var element) = store.area.decode(bytes, file: claims + "/" + file) else {
                    try central.quarantine(file, in: claims, reason: "\(claims)/\(file): unreadable element document")
                    continue
                }
                if element.state == .available || element.state == .negotiating {
                    try element.transition(to: .acquired, actor: name, reason: "pulled by agent \(agent)", at: now)
                }
                element.agent = agent
                try batch.replaceContent(of: file, in: claims, with: try store.area.encode(element))
            }
        }
        try central.inBatch { batch in
            for file in claimed where try batch.move(file, from: claims, to: store.area.folder(.acquired)) == .moved { report.done += 1 }
        }
        if report.done > 0 { context.log.info("acquired elements", ["agent": agent, "count": String(report.done)]) }
        return report
    }

    /// Injects this agent's Acquired elements into WMBS and moves them to Running.
    func inject(store: ElementStore, config: AgentConfiguration, context: StageContext) throws -> CycleReport {
        let wmbs = WMBSStore(spool: context.spool)
        let catalog = Wiring.catalog(context.spool)
        let injector = WMBSInjector(baggage: config.jobBaggage)
        let pass = TransitionPass(area: store.area, actor: name)
        var injectedWorkflows: Set<String> = []
        var report = try pass.run(.acquired, batchSize: context.options.batchSize, context: context) { element in
            guard element.agent == agent else { return false }
            let now = context.now()
            guard let workload = try store.workload(element.requestName) else {
                throw DocumentProblem("no workload stored for request \(element.requestName) in \(ElementStore.workloads)")
            }
            let acdc = try element.acdc.flatMap { try ACDCStore(spool: context.spool).record(for: $0) }
            let plan = try injector.plan(workload: workload, element: element.body, catalog: catalog, acdc: acdc, now: now)
            try context.spool.inBatch { batch in
                try wmbs.create(workflow: workload.name, subscriptions: plan.subscriptions, filesets: plan.filesets, in: batch)
            }
            try context.spool.inBatch { batch in
                try wmbs.add(plan.inputFiles, toFileset: plan.topFileset, workflow: workload.name, in: batch)
                if var top = try wmbs.fileset(workload.name, plan.topFileset), top.open {
                    top.open = false  // the element's input is complete: MC fake file or a whole block
                    try wmbs.save(top, workflow: workload.name, in: batch)
                }
            }
            try element.transition(to: .running, actor: name, reason: "injected: \(plan.subscriptions.count) subscription(s), \(plan.inputFiles.count) input file(s)", at: now)
            injectedWorkflows.insert(workload.name)
            return true
        }
        // Every workflow in WMBS whose elements are all injected gets the flag: those injected now, and one whose last
        // element reached Running before a kill stopped this loop (its filesets could never close otherwise).
        for workflow in try wmbs.workflows().sorted() where injectedWorkflows.contains(workflow) || !wmbs.isInjected(workflow) {
            let elements = try store.elements(ofRequest: workflow)
            let pending = elements.filter { [.available, .negotiating, .acquired].contains($0.state) }
            // Work still open for new data (OpenRunningTimeout) may get more elements: not injected yet.
            if !elements.isEmpty && pending.isEmpty && !elements.contains(where: \.openForNewData) { try wmbs.markInjected(workflow) }
        }
        report.backlog = 0
        return report
    }

    /// Elements Acquired (or half-claimed) by an agent that has not reported for `timeout` seconds go
    /// back to Available.
    func releaseStale(store: ElementStore, timeout: Double, context: StageContext) throws -> CycleReport {
        let now = context.now()
        let heartbeats = AgentHeartbeats(spool: context.spool)
        func silent(_ owner: String, since fallback: Double) -> Bool {
            owner != agent && now - heartbeats.lastSeen(owner, fallback: fallback) > timeout
        }
        var report = CycleReport()
        report.done += try Self.releaseClaims(store: store, timeout: timeout, now: now, dryRun: context.options.dryRun) {
            silent($0, since: 0)
        }
        let pass = TransitionPass(area: store.area, actor: name)
        report.include(try pass.run(.acquired, batchSize: context.options.batchSize, context: context) { element in
            let owner = element.agent ?? ""
            guard silent(owner, since: element.history.last?.time ?? 0) else { return false }
            let lastSeen = heartbeats.lastSeen(owner, fallback: element.history.last?.time ?? 0)
            try element.transition(to: .available, actor: name, reason: "agent '\(owner)' silent for \(Int(now - lastSeen)) s; released", at: now)
            element.agent = nil
            return true
        })
        return report
    }
}

extension LocalWorkQueueStage {
    /// Claim folders of silent agents (`silent(agent)`): their half-claimed elements go back to Available (the move
    /// is recorded at the next scan). Only claims older than `timeout`: a busy agent's fresh claims are its own.
    /// Returns how many went back.
    static func releaseClaims(store: ElementStore, timeout: Double, now: Double, dryRun: Bool,
                              silent: (String) -> Bool) throws -> Int {
        let spool = store.spool
        guard spool.isFolder(Layout.claims), !dryRun else { return 0 }
        var owners: [String] = []
        try spool.forEachEntry(in: Layout.claims) { name, kind in
            if kind == .directory { owners.append(name) }
            return true
        }
        var released = 0
        for owner in owners where silent(owner) {
            for file in try spool.scan(claimFolder(owner)).names {
                guard let modified = try spool.modificationTime(of: file, in: claimFolder(owner)),
                      now - modified.rounded(.down) > timeout else { continue }
                if try spool.move(file, from: claimFolder(owner), to: store.area.folder(.available)) == .moved { released += 1 }
            }
        }
        return released
    }
}

/// When each agent's local queue last ran a cycle (its stage health): tells a silent agent from a busy one.
struct AgentHeartbeats {
    /// Last cycle by stage name.
    let lastCycle: [String: Double]

    /// Reads the stage health of the spool.
    init(spool: Spool) {
        lastCycle = Dictionary(StageHealth.readAll(spool).map { ($0.stage, $0.lastCycle) }, uniquingKeysWith: max)
    }

    /// When `agent`'s local queue last ran a cycle, or `fallback` when it never reported.
    func lastSeen(_ agent: String, fallback: Double) -> Double {
        lastCycle[LocalWorkQueueStage(agent: agent).name] ?? fallback
    }
}
