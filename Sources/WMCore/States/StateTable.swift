import Foundation

/// A state of a document whose legal moves are given by a fixed table.
public protocol TableState: RawRepresentable, CaseIterable, Hashable, Codable, Sendable where RawValue == String {
    /// The states this state may move to.
    var successors: Set<Self> { get }
    /// True for states nothing leaves.
    var isFinal: Bool { get }
}

extension TableState {
    /// True when the table allows `self → next`.
    public func canMove(to next: Self) -> Bool { successors.contains(next) }
    /// True for states nothing leaves.
    public var isFinal: Bool { successors.isEmpty }

    /// Parses a state name, as it appears in a directory name or a command line.
    public init(named name: String) throws {
        guard let state = Self(rawValue: name) else {
            throw StateError.unknownState(name: name, kind: String(describing: Self.self),
                                          expected: Self.allCases.map(\.rawValue))
        }
        self = state
    }
}

/// Errors of the state tables.
public enum StateError: Error, Equatable, CustomStringConvertible {
    /// The table does not allow `from → to`.
    case illegalTransition(kind: String, from: String, to: String)
    /// A name that is no state of this kind.
    case unknownState(name: String, kind: String, expected: [String])

    public var description: String {
        switch self {
        case let .illegalTransition(kind, from, to):
            return "illegal \(kind) transition \(from) → \(to): the state table does not allow it"
        case let .unknownState(name, kind, expected):
            return "'\(name)' is not a \(kind); expected one of \(expected.joined(separator: ", "))"
        }
    }
}

/// One recorded state change of a document.
public struct Transition: Codable, Hashable, Sendable {
    /// The state left ("none" for the first record).
    public var from: String
    /// The state entered.
    public var to: String
    /// When, as seconds since the epoch with sub-second precision.
    public var time: Double
    /// Who made the change: a stage name, `operator`, or `recovery`.
    public var actor: String
    /// Why, in words.
    public var reason: String

    /// Makes a record.
    public init(from: String, to: String, time: Double, actor: String, reason: String) {
        self.from = from
        self.to = to
        self.time = time
        self.actor = actor
        self.reason = reason
    }
}

/// A document that records its state and every transition.
public protocol StatefulBody: DocumentBody {
    /// The state table the document follows.
    associatedtype State: TableState
    /// The document's unique name (also its file name without `.json`).
    var name: String { get }
    /// The state the document last recorded.
    var state: State { get set }
    /// Every transition, oldest first.
    var history: [Transition] { get set }
    /// Side effects of a move (e.g. retry counting), applied before the state changes.
    mutating func willMove(from: State, to: State)
}

extension StatefulBody {
    /// Moves to `next` if the table allows it, appending the transition to the history.
    ///
    /// - Throws: `StateError.illegalTransition` naming both states.
    public mutating func transition(to next: State, actor: String, reason: String, at time: Double) throws {
        guard state.canMove(to: next) else {
            throw StateError.illegalTransition(kind: String(describing: State.self),
                                               from: state.rawValue, to: next.rawValue)
        }
        history.append(Transition(from: state.rawValue, to: next.rawValue, time: time, actor: actor, reason: reason))
        willMove(from: state, to: next)
        state = next
    }

    /// No side effects by default.
    public mutating func willMove(from: State, to: State) {}
}

extension Annotated where Body: StatefulBody {
    /// Moves the body to `next`; see `StatefulBody.transition(to:actor:reason:at:)`.
    public mutating func transition(to next: Body.State, actor: String, reason: String, at time: Double) throws {
        try body.transition(to: next, actor: actor, reason: reason, at: time)
    }
}
