/// Work-queue ordering with priority aging.
///
/// Today's WorkQueue sorts by Priority descending, then CreationTime ascending, with no aging. The SQL WorkQueue
/// before 2011 aged elements: `priority + 0.01 × seconds queued`. Both are available: weight 0 gives today's order.
public enum QueueOrdering {
    /// The aging weight of the old SQL WorkQueue, per second queued.
    public static let defaultAgingWeight = 0.01

    /// `priority + weight × max(0, now − creationTime)`.
    public static func effectivePriority(_ element: ElementBody, now: Double, weight: Double = defaultAgingWeight) -> Double {
        Double(element.priority) + weight * max(0, now - element.creationTime)
    }

    /// Sorts by effective priority descending, then creation time ascending, then id (for a stable order).
    public static func sorted(_ elements: [ElementBody], now: Double, weight: Double = defaultAgingWeight) -> [ElementBody] {
        elements.map { ($0, effectivePriority($0, now: now, weight: weight)) }
            .sorted { a, b in
                if a.1 != b.1 { return a.1 > b.1 }
                if a.0.creationTime != b.0.creationTime { return a.0.creationTime < b.0.creationTime }
                return a.0.name < b.0.name
            }
            .map(\.0)
    }
}

/// WorkQueue's SingleShot end policy: the request-level status of a request's elements.
public enum EndPolicy {
    /// Statuses that end an element.
    public static let finished: Set<ElementStatus> = [.done, .failed, .canceled]

    /// The rolled-up status: all alike → that status; while any is unfinished, the first of CancelRequested,
    /// Running, Acquired that applies (a mix of finished and unstarted counts as Running; Negotiating as
    /// Acquired), else Available; once all finished, Canceled, then Failed, else Done. A status never moves back:
    /// when the result would come before `previous`, `previous` stays.
    public static func rollUp(_ statuses: [ElementStatus], previous: ElementStatus? = nil) -> ElementStatus? {
        guard !statuses.isEmpty else { return previous }
        let present = Set(statuses)
        let result: ElementStatus
        if present.count == 1 {
            result = present.first!
        } else if !present.isSubset(of: finished) {
            if present.contains(.cancelRequested) { result = .cancelRequested }
            else if present.contains(.running) || !present.isDisjoint(with: finished) { result = .running }
            else if present.contains(.acquired) || present.contains(.negotiating) { result = .acquired }
            else { result = .available }
        } else if present.contains(.canceled) {
            result = .canceled
        } else if present.contains(.failed) {
            result = .failed
        } else {
            result = .done
        }
        guard let previous, rank(result) < rank(previous) else { return result }
        return previous
    }

    /// Order of progress used by `rollUp` to keep the status moving forward.
    public static func rank(_ status: ElementStatus) -> Int {
        switch status {
        case .available: return 0
        case .negotiating: return 1
        case .acquired: return 2
        case .running: return 3
        case .cancelRequested: return 4
        case .done, .failed: return 5
        case .canceled: return 6
        }
    }

    /// The request status matching a rolled-up element status (what the queue reports to ReqMgr2):
    /// Available/Negotiating → staged, Acquired → acquired, Running → running-open, Done → completed,
    /// Failed → failed, CancelRequested → aborted, Canceled → aborted-completed.
    public static func requestStatus(for status: ElementStatus) -> RequestStatus {
        switch status {
        case .available, .negotiating: return .staged
        case .acquired: return .acquired
        case .running: return .runningOpen
        case .done: return .completed
        case .failed: return .failed
        case .cancelRequested: return .aborted
        case .canceled: return .abortedCompleted
        }
    }
}
