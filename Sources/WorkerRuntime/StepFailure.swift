import EventFiles
import FrameworkJobReport

/// Why a cmsRun step failed: the exit code and exception type that go into its `FrameworkError`.
public struct StepFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The exit code.
    public var code: Int
    /// The exception type, e.g. `FileOpenError`.
    public var type: String
    /// What happened, naming the file or field.
    public var details: String

    /// Makes a failure.
    public init(code: Int, type: String, details: String) {
        self.code = code
        self.type = type
        self.details = details
    }

    /// The failure of an event-file error: 8033 when it concerns one of `outputPaths`, 8020/8021
    /// for inputs, 8001 for an invalid request.
    public init(_ error: EventFileError, outputPaths: Set<String>) {
        if let path = error.path, outputPaths.contains(path) {
            self.init(code: RuntimeExitCodes.fileWriteError, type: "FileWriteError", details: error.description)
        } else if let code = error.cmsswInputExitCode {
            self.init(code: code, type: code == RuntimeExitCodes.fileOpenError ? "FileOpenError" : "FileReadError",
                      details: error.description)
        } else {
            self.init(code: RuntimeExitCodes.cmsException, type: "CMSException", details: error.description)
        }
    }

    /// The `FrameworkError` of this failure.
    public var frameworkError: FrameworkError { FrameworkError(exitStatus: code, type: type, details: details) }

    /// `"<type> (<code>): <details>"`.
    public var description: String { "\(type) (\(code)): \(details)" }
}
