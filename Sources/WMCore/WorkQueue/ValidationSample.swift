/// Validation samples: a request with `ValidationSample: {"Events": N, "FailureThreshold": f}` gets its first
/// element marked as the sample, at the top priority, and every other element held until the sample succeeds.
public enum ValidationSample {
    /// The priority a sample runs at.
    public static let samplePriority = GroupPriorities.maximum

    /// What to do with the held elements.
    public enum Decision: Equatable, Sendable {
        /// The sample has not finished.
        case wait
        /// The sample succeeded: release the held elements.
        case release
        /// The sample failed: cancel the held elements, with the reason.
        case reject(String)
    }

    /// Marks the first element as the sample and holds the others (no change when not requested or only one element).
    public static func mark(_ elements: [ElementBody], requested: Bool) -> [ElementBody] {
        guard requested, elements.count > 1 else { return elements }
        return elements.enumerated().map { index, element in
            var e = element
            if index == 0 {
                e.validationSample = true
                e.priority = samplePriority
            } else {
                e.heldForValidation = true
            }
            return e
        }
    }

    /// Decides from the sample's state and progress: Done with a failed-job fraction ≤ threshold releases;
    /// Done above the threshold, Failed or Canceled rejects; anything else waits.
    public static func decide(sample: ElementBody, failureThreshold: Double) -> Decision {
        switch sample.state {
        case .done:
            let fraction = sample.progress.failureFraction
            if fraction <= failureThreshold { return .release }
            return .reject("validation sample \(sample.name) failed \(Int((fraction * 100).rounded()))% of its jobs; "
                + "threshold \(Int((failureThreshold * 100).rounded()))%")
        case .failed, .canceled, .cancelRequested:
            return .reject("validation sample \(sample.name) ended \(sample.state.rawValue)")
        default:
            return .wait
        }
    }

    /// Applies a decision to a request's elements: release clears the hold; reject cancels held Available
    /// elements (recording why).
    public static func apply(_ decision: Decision, to elements: [ElementBody], at time: Double) -> [ElementBody] {
        elements.map { element in
            guard element.heldForValidation else { return element }
            var e = element
            switch decision {
            case .wait: break
            case .release: e.heldForValidation = false
            case .reject(let reason):
                if e.state.canMove(to: .canceled) {
                    try? e.transition(to: .canceled, actor: "workqueue", reason: reason, at: time)
                }
            }
            return e
        }
    }
}
