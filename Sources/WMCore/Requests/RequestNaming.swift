import Foundation
import JobSplitting

/// ReqMgr2 request names: `<Requestor>_<RequestString>_<yymmdd>_<HHMMSS>_<4 digits>`.
public enum RequestNaming {
    /// Makes the name for a request created at `date` (UTC).
    ///
    /// The last part is `int(10000 × fractional seconds)`, zero-padded to 4 digits (WMCore prints it unpadded;
    /// padding keeps names the same width). An empty request string gives `<Requestor>_<yymmdd>_...`.
    public static func make(requestor: String, requestString: String, at date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let stamp = String(format: "%02d%02d%02d_%02d%02d%02d", (c.year ?? 0) % 100, c.month ?? 0, c.day ?? 0,
                           c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
        let fraction = min(9999, Int(10000 * (seconds - seconds.rounded(.down))))
        let head = requestString.isEmpty ? requestor : "\(requestor)_\(requestString)"
        return "\(head)_\(stamp)_\(String(format: "%04d", fraction))"
    }

    /// True when `name` matches ReqMgr2's request-name pattern `[a-zA-Z0-9.\-_]{1,150}`.
    public static func isValid(_ name: String) -> Bool { WholeMatch.test(name, Lexicon.requestName) }

    /// Makes the name and checks it.
    ///
    /// - Throws: `RequestRejected` (stage `create`) naming `RequestName` when the result is not a valid name.
    public static func checkedName(requestor: String, requestString: String, at date: Date) throws(RequestRejected) -> String {
        let name = make(requestor: requestor, requestString: requestString, at: date)
        guard isValid(name) else {
            throw RequestRejected(stage: "create", problems: [
                RequestProblem(field: "RequestName", value: name, expected: "a name matching \(Lexicon.requestName)")])
        }
        return name
    }
}

/// Effective request priority: the request's own priority combined with its requestor group's priority.
///
/// Formula (after the 2012 ReqMgr paper, where a group's priority raises all its requests):
/// `effective = min(RequestPriority + groupPriority[Group], 999_999)`, with 0 for a group not configured and
/// never below 0. The cap keeps the result inside ReqMgr2's valid range `0 ≤ p < 1,000,000`.
public struct GroupPriorities: Codable, Hashable, Sendable {
    /// Group name → priority added to each of its requests.
    public var groups: [String: Int]

    /// Highest effective priority.
    public static let maximum = 999_999

    /// Makes the configuration.
    public init(_ groups: [String: Int] = [:]) { self.groups = groups }

    /// The effective priority of a request of `group` with priority `requestPriority`.
    public func effective(requestPriority: Int, group: String) -> Int {
        max(0, min(SaturatingArithmetic.add(requestPriority, groups[group] ?? 0), Self.maximum))
    }
}
