import Foundation
import Glibc
import SpoolKit
import WMCore
#if canImport(Glibc)
#endif

/// An error that names the exit status a program ends with when it escapes the program's body
/// (the one error → exit-code mapping is `ProgramMain.run`; errors of the lower modules are mapped there).
public protocol ExitStatusError: Error, CustomStringConvertible {
    /// The sysexits code to exit with.
    var exitCode: ExitCode { get }
}

/// Runs a program's body and exits with the sysexits code its outcome maps to, printing errors on stderr.
public enum ProgramMain {
    /// Runs `body`; exits 0 when it returns.
    public static func run(_ program: String, _ body: () throws -> Void) -> Never {
        do {
            try body()
            exit(0)
        } catch let failure as CommandFailure {
            if failure.code == .ok { print(failure.message); exit(0) }
            fail(failure.message, failure.code)
        } catch let bad as ConfigurationError {
            fail("\(program): \(bad)", bad.missing ? .noInput : .dataError)
        } catch let held as StageLock.Failure {
            fail("\(program): \(held)", .tryAgain)
        } catch let coded as ExitStatusError {
            fail("\(program): \(coded)", coded.exitCode)
        } catch let refused as RefusedFile {
            fail("\(program): \(refused)", .dataError)
        } catch let sys as SystemCallError {
            fail("\(program): \(sys)", sys.errno == ENOSPC || sys.errno == EACCES || sys.errno == EROFS ? .cantCreate : .failure)
        } catch {
            fail("\(program): \(error)", .failure)
        }
    }

    private static func fail(_ message: String, _ code: ExitCode) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(code.rawValue)
    }
}

/// A bad `etc/sites.json` is bad input (65); asking for a site it does not configure is a missing input (66).
extension SiteConfigurationError: ExitStatusError {
    public var exitCode: ExitCode {
        switch self {
        case .unreadable, .badValue: return .dataError
        case .unknownSite: return .noInput
        }
    }
}
