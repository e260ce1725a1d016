import Dispatch
import Foundation
import Synchronization

/// A process-wide "please stop" flag set by SIGTERM or SIGINT.
///
/// The signals are ignored at the process level and delivered through Dispatch sources (as
/// swift-service-lifecycle does), so a stage finishes the item in hand — never stopping between a
/// write and its rename — and then exits. A second signal while stopping exits at once with 130.
public enum StopSignal {
    private static let requested = Atomic<Bool>(false)
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// True once a stop was requested.
    public static var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Requests a stop (also used by tests of the run loop and by `wmagent`).
    public static func request() { requested.store(true, ordering: .relaxed) }

    /// Installs the handlers. Call once, from `main`, before work starts; never from tests.
    public static func install(onStop: (@Sendable (Int32) -> Void)? = nil) {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if isRequested { exit(130) }
                request()
                onStop?(sig)
            }
            source.resume()
            sources.append(source)
        }
    }
}
