/// The watchdog limits of a task's jobs, as WMCore's PerformanceMonitor takes them from the assignment:
/// `MaxRSS` and `MaxVSize` in MiB, `SoftTimeout` and `GracePeriod` in seconds (hard timeout = soft + grace).
///
/// The assignment sets them for every task of the workload (WMCore's `setupPerformanceMonitoring`); they
/// travel task → subscription → job document (`performanceMonitor`) → the job wrapper, which kills cmsRun
/// with 50660 (RSS), 50661 (VSize) or 50664 (wall clock).
public struct PerformanceLimits: Codable, Hashable, Sendable {
    /// Largest resident set in MiB (`MaxRSS`), nil for none.
    public var maxRSS: Int?
    /// Largest virtual size in MiB (`MaxVSize`), nil for none.
    public var maxVSize: Int?
    /// Seconds after which cmsRun is asked to stop (SIGUSR2) (`SoftTimeout`), nil for none.
    public var softTimeout: Int?
    /// Seconds after the soft timeout before cmsRun is killed (`GracePeriod`), nil for none.
    public var gracePeriod: Int?

    /// Makes limits.
    public init(maxRSS: Int? = nil, maxVSize: Int? = nil, softTimeout: Int? = nil, gracePeriod: Int? = nil) {
        self.maxRSS = maxRSS
        self.maxVSize = maxVSize
        self.softTimeout = softTimeout
        self.gracePeriod = gracePeriod
    }

    /// The limits an assignment sets, or nil when it sets none (no assignment, or none of the four arguments).
    /// The validator has range-checked each value (1 to `Lexicon.maxLimit`).
    public static func of(assignment: RequestArguments?) -> PerformanceLimits? {
        guard let assignment else { return nil }
        let limits = PerformanceLimits(maxRSS: assignment.int("MaxRSS"), maxVSize: assignment.int("MaxVSize"),
                                       softTimeout: assignment.int("SoftTimeout"), gracePeriod: assignment.int("GracePeriod"))
        return limits == PerformanceLimits() ? nil : limits
    }

    /// Seconds after which cmsRun is killed: soft timeout + grace period (WMCore's `hardTimeout`); the soft
    /// timeout alone when there is no grace period; nil without a soft timeout.
    public var hardTimeout: Int? {
        guard let softTimeout else { return nil }
        return softTimeout + (gracePeriod ?? 0)
    }

    /// The largest value a limit may have (`Lexicon.maxLimit`), so sums and conversions never trap.
    public static let largest = Int(Lexicon.maxLimit)

    /// Why these limits can't be used (a value outside 1...`largest`, or a negative grace period), or nil;
    /// names the field, the value found and what is allowed.
    public var problem: String? {
        for (field, value) in [("maxRSS", maxRSS), ("maxVSize", maxVSize), ("softTimeout", softTimeout)] {
            if let value, !(1...Self.largest).contains(value) {
                return "field 'performanceMonitor.\(field)' is \(value); expected 1 to \(Self.largest) (absent: no limit)"
            }
        }
        if let gracePeriod, !(0...Self.largest).contains(gracePeriod) {
            return "field 'performanceMonitor.gracePeriod' is \(gracePeriod); expected 0 to \(Self.largest) (absent: 0)"
        }
        return nil
    }

    /// The limits as a JSON object (the job document's `performanceMonitor`).
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let maxRSS { object["maxRSS"] = .int(maxRSS) }
        if let maxVSize { object["maxVSize"] = .int(maxVSize) }
        if let softTimeout { object["softTimeout"] = .int(softTimeout) }
        if let gracePeriod { object["gracePeriod"] = .int(gracePeriod) }
        return .object(object)
    }

    /// The limits of a JSON object with only these keys and integer values, or nil.
    public init?(json: JSONValue) {
        guard case .object(let object) = json else { return nil }
        let keys: Set<String> = ["maxRSS", "maxVSize", "softTimeout", "gracePeriod"]
        guard object.keys.allSatisfy(keys.contains) else { return nil }
        func int(_ key: String) -> Int?? {
            guard let value = object[key] else { return .some(nil) }
            return value.intValue.map { .some($0) } ?? nil
        }
        guard let rss = int("maxRSS"), let vsize = int("maxVSize"), let soft = int("softTimeout"),
              let grace = int("gracePeriod") else { return nil }
        self.init(maxRSS: rss, maxVSize: vsize, softTimeout: soft, gracePeriod: grace)
    }
}
