import Commands
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// `wm-workqueue` (global role): turns assigned requests into work-queue elements with the start
/// policies, adds elements for new data to open requests (`OpenRunningTimeout`), rolls element statuses up into request statuses (end policy), cancels the elements of
/// aborted requests, runs validation samples, and archives the elements of finished requests.
public struct GlobalWorkQueueStage: StageCycle {
    public let name = "wm-workqueue"
    public var placement: StagePlacement { .central }

    /// Makes the stage.
    public init() {}

    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let config = try context.agentConfiguration()
        let manager = Wiring.requestManager(context.spool, config: config)
        try manager.ensureFolders()
        let store = ElementStore(spool: context.spool)
        try store.ensureFolders()
        var report = try createElements(manager: manager, store: store, context: context)
        report.include(try addNewDataOrClose(manager: manager, store: store, context: context))
        if SpoolRoles.role(of: context.spool) == .central {
            report.include(try applyCompletions(store: store, context: context))
            report.include(try takeBackFromSilentAgents(store: store, timeout: config.workQueue.agentTimeout, context: context))
        }
        report.include(try cancelForSilentAgents(store: store, timeout: config.workQueue.agentTimeout, context: context))
        report.include(try rollUp(manager: manager, store: store, context: context))
        report.include(try archiveReported(manager: manager, store: store, context: context))
        return report
    }

    /// Request statuses after which the queue has nothing more to do with the request's elements.
    static let finishedStatuses: Set<RequestStatus> = [.completed, .closedOut, .announced, .normalArchived, .abortedCompleted,
                                                       .abortedArchived, .rejected, .rejectedArchived, .failed]

    /// Elements of finished requests, once their final status is reported in the request, leave the
    /// queue: they are moved (never deleted) to `archive/elements/<request>/`.
    func archiveReported(manager: RequestManager, store: ElementStore, context: StageContext) throws -> CycleReport {
        var report = CycleReport()
        var statusOf: [String: RequestStatus?] = [:]
        for state in [ElementStatus.done, .failed, .canceled] {
            let folder = store.area.folder(state)
            for name in try store.area.scan(state) {
                guard case .document(let element) = try store.area.load(name, in: state, now: context.now()) else { continue }
                let status = statusOf[element.requestName] ?? manager.locate(element.requestName)
                statusOf[element.requestName] = status
                guard let status, Self.finishedStatuses.contains(status) else { continue }
                let target = Layout.archivedElements(element.requestName)
                try context.spool.ensureDirectories([target])
                if try context.spool.move(store.area.fileName(name), from: folder, to: target) == .moved { report.done += 1 }
            }
        }
        if report.done > 0 { context.log.info("archived elements of finished requests", ["elements": String(report.done)]) }
        return report
    }

    /// assigned → staging → staged, with the request's elements published as Available. A request a
    /// crash left in `staging/` (between its two hops) is finished the same way.
    func createElements(manager: RequestManager, store: ElementStore, context: StageContext) throws -> CycleReport {
        let pass = TransitionPass(area: manager.area, actor: name)
        var report = CycleReport()
        for state in [RequestStatus.assigned, .staging] {
            report.include(try pass.run(state, batchSize: context.options.batchSize, context: context) { request in
                try stage(&request, manager: manager, store: store, context: context)
            })
        }
        return report
    }

    /// Splits one assigned (or staging) request into elements and publishes them; moves it to staged.
    private func stage(_ request: inout Annotated<RequestBody>, manager: RequestManager, store: ElementStore,
                       context: StageContext) throws -> Bool {
        let now = context.now()
        guard request.assignment != nil else {
            throw DocumentProblem("moved to assigned/ without an assignment; use wmctl request assign \(request.name) --set Team=... --set SiteWhitelist=...")
        }
        // A Resubmission restricts the original workload to its initial task and reads the ACDC record.
        var original: Workload?
        var acdc: ACDCRecord?
        if request.requestType == .resubmission, let originalName = request.arguments.string("OriginalRequestName") {
            original = try store.workload(originalName)
            acdc = try ACDCStore(spool: context.spool).merged(workflow: originalName, task: request.arguments.string("InitialTaskPath") ?? "")
        }
        let workload: Workload
        var elements: [ElementBody]
        do {
            workload = try WorkloadBuilder.build(name: request.name, request: request.arguments, assignment: request.assignment,
                                                 configCache: manager.configCache, original: original)
            elements = try WorkQueueSplitter.elements(workload: workload, context: ElementContext(request: request.body, at: now),
                                                      catalog: manager.catalog, acdc: acdc,
                                                      monteCarlo: MonteCarloPolicy(maxJobsPerElement: manager.maxJobsPerElement,
                                                                                    maxJobsPerTask: manager.maxJobsPerTask))
        } catch let noWork as StartPolicyError {
            try fail(&request, reason: noWork.description, store: store, context: context)
            return true
        } catch let rejected as RequestRejected {
            let problems = rejected.problems.map(\.description).joined(separator: "; ")
            try fail(&request, reason: "the workload cannot be built: \(problems)", store: store, context: context)
            return true
        }
        elements = ValidationSample.mark(elements, requested: request.arguments.validationSample != nil)
        if request.state == .assigned { try request.transition(to: .staging, actor: name, reason: "splitting into elements", at: now) }
        try request.transition(to: .staged, actor: name, reason: "\(elements.count) element(s), \(JobCeiling.total(elements)) job(s)", at: now)
        request.body.summarize(elements: elements.map { ($0.state, $0.jobs) })
        // Elements and the workload are published before the request moves (the pass commits the move after).
        try context.spool.inBatch { batch in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let workloadFile = request.name + ".json"
            if !context.spool.contains(workloadFile, in: ElementStore.workloads) {
                try batch.publish(Array(try encoder.encode(workload)), as: workloadFile, in: ElementStore.workloads)
            }
            for element in elements where !ElementStatus.allCases.contains(where: {
                context.spool.contains(store.area.fileName(element.name), in: store.area.folder($0))
            }) {
                try batch.publish(try store.area.encode(ElementDocument(element)), as: store.area.fileName(element.name),
                                  in: store.area.folder(element.state))
            }
        }
        context.log.info("request staged", ["request": request.name, "elements": String(elements.count)])
        return true
    }

    /// A request the queue can make no work of (WorkQueue's `WorkQueueNoWorkError` and `WorkQueueWMSpecError`) goes to
    /// `failed` the way ReqMgr2 takes it there: the global queue splits only staged requests, so staging → staged →
    /// failed, the reason recorded in the move to failed. Elements a crashed earlier run published for it are
    /// withdrawn, so nothing of the request is left in the queue.
    private func fail(_ request: inout Annotated<RequestBody>, reason: String, store: ElementStore, context: StageContext) throws {
        let now = context.now()
        if !context.options.dryRun {
            let left = try store.elements(ofRequest: request.name).map { ($0, $0.state) }
            try store.spool.inBatch { batch in try withdraw(left, reason: "request failed", store: store, now: now, in: batch) }
        }
        if request.state == .assigned { try request.transition(to: .staging, actor: name, reason: "splitting into elements", at: now) }
        try request.transition(to: .staged, actor: name, reason: "no work-queue element can be made", at: now)
        try request.transition(to: .failed, actor: name, reason: reason, at: now)
        request.body.summarize(elements: [])
        context.log.warning("request failed", ["request": request.name, "reason": reason])
    }

    /// Cancels elements of a request that leaves: unacquired ones at once, acquired and running ones through
    /// their agents (CancelRequested: the agents kill the jobs).
    func withdraw(_ elements: [(doc: ElementDocument, status: ElementStatus)], reason: String, store: ElementStore,
                  now: Double, in batch: SpoolBatch) throws {
        try cancelUnstarted(elements, reason: reason, store: store, now: now, in: batch)
        for (element, current) in elements where current == .acquired || current == .running {
            var e = element
            try e.transition(to: .cancelRequested, actor: name, reason: reason + ": agents kill its jobs", at: now)
            _ = try store.save(e, from: current, in: batch)
        }
    }

    /// Cancels the elements no agent has pulled yet (Available, Negotiating); the others are left as they are.
    func cancelUnstarted(_ elements: [(doc: ElementDocument, status: ElementStatus)], reason: String, store: ElementStore,
                         now: Double, in batch: SpoolBatch) throws {
        for (element, current) in elements where current == .available || current == .negotiating {
            var e = element
            try e.transition(to: .canceled, actor: name, reason: reason, at: now)
            // An agent that claimed the element meanwhile wins: the move finds no file and the element runs.
            _ = try store.save(e, from: current, in: batch)
        }
    }

    /// CancelRequested elements whose agent has not run its local queue for `timeout` seconds (nor since the cancel
    /// was requested) are forced to Canceled: a silent agent cannot kill its jobs, and the request must not wait for it
    /// forever (WMCore's global queue forces Canceled after a timeout too). A live agent cancels its own.
    func cancelForSilentAgents(store: ElementStore, timeout: Double, context: StageContext) throws -> CycleReport {
        let now = context.now()
        let heartbeats = AgentHeartbeats(spool: context.spool)
        let pass = TransitionPass(area: store.area, actor: name)
        return try pass.run(.cancelRequested, batchSize: context.options.batchSize, context: context) { element in
            let requested = element.history.last { $0.to == ElementStatus.cancelRequested.rawValue }?.time ?? 0
            let owner = element.agent ?? ""
            let lastSeen = max(requested, heartbeats.lastSeen(owner, fallback: requested))
            guard now - lastSeen > timeout else { return false }
            try element.transition(to: .canceled, actor: name, reason: "agent '\(owner)' silent for \(Int(now - lastSeen)) s"
                                   + " (timeout \(Int(timeout)) s): forced to Canceled; its jobs were not killed by it", at: now)
            return true
        }
    }

    /// Requests follow their elements: staged → acquired → running-open → running-closed → completed,
    /// aborted → aborted-completed; aborting cancels elements; validation samples release or fail the rest.
    func rollUp(manager: RequestManager, store: ElementStore, context: StageContext) throws -> CycleReport {
        let now = context.now()
        var byRequest: [String: [(doc: ElementDocument, status: ElementStatus)]] = [:]
        for element in try store.elements(now: now) { byRequest[element.requestName, default: []].append((element, element.state)) }
        var report = CycleReport()
        let active: [RequestStatus] = [.staged, .acquired, .runningOpen, .runningClosed, .forceComplete, .aborted]
        for status in active {
            for requestName in try manager.area.scan(status) {
                let elements = byRequest[requestName] ?? []
                try cancelOrRelease(request: requestName, status: status, elements: elements, manager: manager, store: store, now: now,
                                    log: context.log)
                if status != .aborted { try syncPriority(request: requestName, elements: elements, manager: manager, store: store, now: now) }
                let refreshed = try store.elements(ofRequest: requestName)
                guard !refreshed.isEmpty else { continue }
                var target: RequestStatus?
                if status == .aborted || status == .forceComplete {
                    if refreshed.allSatisfy({ $0.state.isFinal }) { target = status == .aborted ? .abortedCompleted : .completed }
                } else if let rolled = EndPolicy.rollUp(refreshed.map(\.state)) {
                    target = EndPolicy.requestStatus(for: rolled)
                    // While the validation sample runs, only the sample is acquired: the request stays `acquired`
                    // (from where a failed sample can still move it to `failed`).
                    if let goal = target, refreshed.contains(where: { $0.heldForValidation && !$0.state.isFinal }),
                       Self.order(goal) > Self.order(.acquired) {
                        target = .acquired
                    }
                    // Work open for new data keeps the request running-open: more elements may still come.
                    if let goal = target, refreshed.contains(where: \.openForNewData), Self.order(goal) > Self.order(.runningOpen) {
                        target = .runningOpen
                    }
                }
                guard let goal = target, goal != status else {
                    try updateSummary(requestName, refreshed, manager: manager, now: now)
                    continue
                }
                let path = Self.path(from: status, to: goal)
                guard !path.isEmpty else { continue }
                if path.contains(.completed) { try accountBeforeCompletion(requestName, context: context) }
                var moved = false
                try manager.update(requestName, now: now) { request in
                    // Another stage (the task archiver, an operator) may have moved the request since the scan.
                    guard request.state == status else { return }
                    for step in path { try request.transition(to: step, actor: name, reason: "elements: \(Self.describe(refreshed))", at: now) }
                    request.body.summarize(elements: refreshed.map { ($0.state, $0.jobs) })
                    moved = true
                }
                if moved { report.done += 1 }
            }
        }
        return report
    }

    /// Aborted requests cancel their elements (unacquired at once, the rest through their agents); force-completed
    /// ones cancel what no agent has pulled and let pulled elements run to the end (the operator accepts the
    /// partial output); a finished validation sample releases or cancels the held elements.
    func cancelOrRelease(request: String, status: RequestStatus, elements: [(doc: ElementDocument, status: ElementStatus)],
                         manager: RequestManager, store: ElementStore, now: Double, log: Logger) throws {
        var rejected: String?
        try store.spool.inBatch { batch in
            if status == .aborted { try withdraw(elements, reason: "request aborted", store: store, now: now, in: batch) }
            if status == .forceComplete {
                try cancelUnstarted(elements, reason: "request force-completed: never pulled, left out", store: store, now: now, in: batch)
            }
            guard status != .aborted, status != .forceComplete, let sample = elements.first(where: { $0.doc.validationSample }) else { return }
            let threshold = (try? manager.load(request, now: now))?.arguments.validationSample?.failureThreshold ?? 0.1
            let decision = ValidationSample.decide(sample: sample.doc.body, failureThreshold: threshold)
            guard decision != .wait else { return }
            let held = elements.filter { $0.doc.heldForValidation }
            guard !held.isEmpty else { return }
            let updated = ValidationSample.apply(decision, to: held.map(\.doc.body), at: now)
            for (old, body) in zip(held, updated) {
                var e = old.doc
                e.body = body
                _ = try store.save(e, from: old.status, in: batch)
            }
            if case .reject(let reason) = decision { rejected = reason }
        }
        guard let reason = rejected else { return }
        // A failed sample stops the request before the rest runs: it fails, the reason in its history.
        try manager.update(request, now: now) { document in
            guard document.state.canMove(to: .failed) else { return }
            try document.transition(to: .failed, actor: name, reason: reason, at: now)
        }
        log.warning("validation sample failed: request failed", ["request": request, "reason": reason])
    }

    /// A priority change (`wmctl request priority`) reaches the request's unfinished elements: each takes the
    /// request's effective priority, except the validation sample, which keeps the top priority. The agents
    /// carry it on to WMBS and to their queued jobs (`LocalWorkQueueStage.syncPriorities`).
    func syncPriority(request: String, elements: [(doc: ElementDocument, status: ElementStatus)], manager: RequestManager,
                      store: ElementStore, now: Double) throws {
        let stale = { (priority: Int) in elements.filter { !$0.status.isFinal && !$0.doc.validationSample && $0.doc.priority != priority } }
        guard !elements.isEmpty, !stale(Int.min).isEmpty else { return }
        let priority = try manager.load(request, now: now).effectivePriority
        let changed = stale(priority)
        guard !changed.isEmpty else { return }
        try store.spool.inBatch { batch in
            for (old, status) in changed {
                var e = old
                e.priority = priority
                _ = try store.save(e, from: status, in: batch)
            }
        }
    }

    private func updateSummary(_ name: String, _ elements: [ElementDocument], manager: RequestManager, now: Double) throws {
        let summary = elements.map { ($0.state, $0.jobs) }
        let current = try manager.load(name, now: now)
        var probe = current.body
        probe.summarize(elements: summary)
        if probe.elements != current.elements {
            try manager.update(name, now: now) { $0.body.summarize(elements: summary) }
        }
    }

    /// The automatic path of a request through the queue.
    static let automaticPath: [RequestStatus] = [.staged, .acquired, .runningOpen, .runningClosed, .completed]

    /// A status's place on the automatic path (-1 when it is not on it).
    static func order(_ status: RequestStatus) -> Int { automaticPath.firstIndex(of: status) ?? -1 }

    /// The legal steps from one request status to another along the automatic path.
    static func path(from: RequestStatus, to: RequestStatus) -> [RequestStatus] {
        if from.canMove(to: to) { return [to] }
        guard let i = automaticPath.firstIndex(of: from), let j = automaticPath.firstIndex(of: to), i < j else { return [] }
        return Array(automaticPath[(i + 1)...j])
    }

    static func describe(_ elements: [ElementDocument]) -> String {
        var counts: [String: Int] = [:]
        for e in elements { counts[e.state.rawValue, default: 0] += 1 }
        return counts.keys.sorted().map { "\($0)=\(counts[$0]!)" }.joined(separator: " ")
    }
}
