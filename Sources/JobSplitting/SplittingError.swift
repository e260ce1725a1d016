/// Errors raised by the splitting entry point and the algorithms.
public enum SplittingError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A parameter has a value of the wrong type; `expected` says what was wanted.
    case invalidParameter(name: String, expected: String, found: String)
    /// A parameter is required by the algorithm but missing.
    case missingParameter(name: String, algorithm: String)
    /// A parameter has a value outside its allowed range (WMCore raises RuntimeError/ValueError).
    case invalidValue(name: String, reason: String)
    /// EventAwareLumiBased created more jobs than `job_limit`.
    case jobLimitExceeded(limit: Int)
    /// A file lacks data the algorithm needs (e.g. RunBased: a file with no runs).
    case invalidFile(lfn: String, reason: String)
    /// The parameters JSON could not be read.
    case malformedParameters(reason: String)

    /// A message naming the parameter or file and what was expected.
    public var description: String {
        switch self {
        case let .invalidParameter(name, expected, found):
            return "splitting parameter '\(name)': expected \(expected), found \(found)"
        case let .missingParameter(name, algorithm):
            return "splitting parameter '\(name)' is required by \(algorithm)"
        case let .invalidValue(name, reason):
            return "splitting parameter '\(name)': \(reason)"
        case let .jobLimitExceeded(limit):
            return "job_limit: job limit of \(limit) jobs exceeded"
        case let .invalidFile(lfn, reason):
            return "input file \(lfn): \(reason)"
        case let .malformedParameters(reason):
            return "splitting parameters JSON: \(reason)"
        }
    }
}
