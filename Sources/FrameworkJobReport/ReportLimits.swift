/// The ranges a report's numbers must lie in. A report with a number outside them is refused whole
/// (`ReportReadError.invalidValue`, naming the field, the value and the range), so no later arithmetic on a
/// report's numbers — sums of events and sizes in the accountant, the job creator and the DBS upload — can trap.
public enum ReportLimits {
    /// Run and lumi numbers: CMSSW numbers them with unsigned 32 bits, and 0 is not a run or a lumi.
    public static let runOrLumi: ClosedRange<Int> = 1...4_294_967_295
    /// Event counts (`TotalEvents`, `EventsRead`, `NEvents`): 0 to 10^12, the most events a request may ask for.
    public static let events: ClosedRange<Int> = 0...1_000_000_000_000
    /// File sizes in bytes: 0 to 10^15 (a petabyte, far beyond any file; millions of them still sum within `Int`).
    public static let fileSize: ClosedRange<Int> = 0...1_000_000_000_000_000
    /// Event numbers (`SkippedEvent Event`): CMSSW's are unsigned 64 bits; here at least 1.
    public static let eventNumber: ClosedRange<Int> = 1...Int.max
    /// The retry a wrapper stamps (`WMWrapper Retry`).
    public static let retry: ClosedRange<Int> = 0...Int(Int32.max)
    /// The most step sections a multi-step job's report may hold (a StepChain has at most 10 steps here).
    public static let stepSections = 100

    /// `range` in words for an error message, e.g. "an integer from 1 to 4294967295".
    static func describe(_ range: ClosedRange<Int>) -> String {
        range.upperBound == Int.max ? "an integer ≥ \(range.lowerBound)"
            : "an integer from \(range.lowerBound) to \(range.upperBound)"
    }
}
