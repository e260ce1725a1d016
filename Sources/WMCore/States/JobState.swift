/// The WMBS job states and their legal moves, exactly as WMCore's `JobStateMachine/Transitions.py`.
///
/// There are 18 states; `cleanout` is the only terminal one. `X` stands for create, submit or job.
public enum JobState: String, TableState {
    case new, created, executing, complete, success, retrydone, exhausted, killed, cleanout
    case createfailed, createcooloff, createpaused
    case submitfailed, submitcooloff, submitpaused
    case jobfailed, jobcooloff, jobpaused

    public var successors: Set<JobState> {
        switch self {
        case .new: return [.created, .createfailed, .killed]
        case .created: return [.executing, .submitfailed, .createfailed, .killed]
        case .executing: return [.complete, .jobfailed, .killed]
        case .complete: return [.jobfailed, .success]
        case .createfailed: return [.createcooloff, .retrydone, .killed]
        case .submitfailed: return [.submitcooloff, .retrydone, .killed]
        case .jobfailed: return [.jobcooloff, .retrydone, .killed]
        case .createcooloff: return [.created, .createpaused, .retrydone, .killed]
        case .submitcooloff: return [.created, .submitpaused, .retrydone, .killed]
        case .jobcooloff: return [.created, .jobpaused, .retrydone, .killed]
        case .createpaused, .submitpaused, .jobpaused: return [.created, .retrydone, .killed]
        case .success: return [.cleanout]
        case .retrydone: return [.exhausted, .killed]
        case .exhausted: return [.cleanout]
        case .killed: return [.cleanout, .killed]
        case .cleanout: return []
        }
    }

    /// The failure kind of a failed, cool-off or paused state: "create", "submit" or "job".
    public var failureKind: String? {
        switch self {
        case .createfailed, .createcooloff, .createpaused: return "create"
        case .submitfailed, .submitcooloff, .submitpaused: return "submit"
        case .jobfailed, .jobcooloff, .jobpaused: return "job"
        default: return nil
        }
    }

    /// True for `createcooloff`, `submitcooloff` and `jobcooloff`.
    public var isCooloff: Bool { self == .createcooloff || self == .submitcooloff || self == .jobcooloff }
    /// True for `createfailed`, `submitfailed` and `jobfailed`.
    public var isFailed: Bool { self == .createfailed || self == .submitfailed || self == .jobfailed }
    /// True for `createpaused`, `submitpaused` and `jobpaused`.
    public var isPaused: Bool { self == .createpaused || self == .submitpaused || self == .jobpaused }

    /// The cool-off state that follows this failed state.
    public var cooloffState: JobState? {
        switch self {
        case .createfailed: return .createcooloff
        case .submitfailed: return .submitcooloff
        case .jobfailed: return .jobcooloff
        default: return nil
        }
    }

    /// The paused state that follows this cool-off state.
    public var pausedState: JobState? {
        switch self {
        case .createcooloff: return .createpaused
        case .submitcooloff: return .submitpaused
        case .jobcooloff: return .jobpaused
        default: return nil
        }
    }
}

/// ReqMgr2 request statuses and their legal moves, exactly as WMCore's `ReqMgr` transition table.
public enum RequestStatus: String, TableState {
    case new
    case assignmentApproved = "assignment-approved"
    case assigned, staging, staged, acquired
    case runningOpen = "running-open"
    case runningClosed = "running-closed"
    case forceComplete = "force-complete"
    case failed, completed
    case closedOut = "closed-out"
    case announced, aborted
    case abortedCompleted = "aborted-completed"
    case rejected
    case normalArchived = "normal-archived"
    case abortedArchived = "aborted-archived"
    case rejectedArchived = "rejected-archived"

    public var successors: Set<RequestStatus> {
        switch self {
        case .new: return [.new, .assignmentApproved, .rejected]
        case .assignmentApproved: return [.assigned, .rejected]
        case .assigned: return [.staging, .aborted]
        case .staging: return [.staged, .aborted]
        case .staged: return [.acquired, .aborted, .failed]
        case .acquired: return [.runningOpen, .aborted, .failed]
        case .runningOpen: return [.runningClosed, .forceComplete, .aborted]
        case .runningClosed: return [.forceComplete, .completed, .aborted]
        case .forceComplete: return [.completed]
        case .failed: return [.rejected, .assigned]
        case .completed: return [.closedOut, .rejected]
        case .closedOut: return [.announced, .rejected]
        case .announced: return [.rejected, .normalArchived]
        case .aborted: return [.abortedCompleted]
        case .abortedCompleted: return [.abortedArchived]
        case .rejected: return [.rejectedArchived]
        case .normalArchived: return [.rejectedArchived]
        case .abortedArchived, .rejectedArchived: return []
        }
    }

    /// Statuses a human may set (ReqMgr2's allowed manual moves).
    public static let settableByOperator: Set<RequestStatus> =
        [.assignmentApproved, .assigned, .forceComplete, .closedOut, .announced, .rejected, .aborted]

    /// Priority may be edited in these statuses (new through running-closed).
    public var allowsPriorityEdit: Bool {
        [.new, .assignmentApproved, .assigned, .staging, .staged, .acquired, .runningOpen, .runningClosed].contains(self)
    }
}

/// Work-queue element statuses (WMCore `WorkQueue`), with the moves the queue makes.
///
/// WMCore has no table for elements; these moves follow the queue's code: pull
/// (Available → Negotiating → Acquired), the WMBS feeder (→ Running), completion (Done/Failed),
/// cancellation (CancelRequested → Canceled; unacquired elements straight to Canceled) and release of an
/// agent's unstarted work after a timeout (Negotiating/Acquired → Available).
public enum ElementStatus: String, TableState {
    case available = "Available"
    case negotiating = "Negotiating"
    case acquired = "Acquired"
    case running = "Running"
    case done = "Done"
    case failed = "Failed"
    case cancelRequested = "CancelRequested"
    case canceled = "Canceled"

    public var successors: Set<ElementStatus> {
        switch self {
        case .available: return [.negotiating, .acquired, .canceled, .failed]
        case .negotiating: return [.acquired, .available, .canceled]
        case .acquired: return [.running, .available, .done, .failed, .cancelRequested]
        case .running: return [.done, .failed, .cancelRequested]
        case .cancelRequested: return [.canceled]
        case .done, .failed, .canceled: return []
        }
    }
}
