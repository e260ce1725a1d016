/// Process exit codes, sysexits style.
public enum ExitCode: Int32, Error, Sendable {
    /// Success.
    case ok = 0
    /// A general failure.
    case failure = 1
    /// Bad command line (EX_USAGE).
    case usage = 64
    /// Bad input data (EX_DATAERR).
    case dataError = 65
    /// A required input is missing (EX_NOINPUT).
    case noInput = 66
    /// Internal software error (EX_SOFTWARE).
    case software = 70
    /// Can't create an output (EX_CANTCREAT).
    case cantCreate = 73
    /// Temporary failure, try again, e.g. the stage lock is held (EX_TEMPFAIL).
    case tryAgain = 75
}

/// A failure that carries the exit code and the message to print.
public struct CommandFailure: Error, CustomStringConvertible {
    /// The exit code.
    public var code: ExitCode
    /// What to print on standard error.
    public var message: String
    /// Makes a failure.
    public init(_ code: ExitCode, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}
