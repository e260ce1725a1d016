/// Integer arithmetic that cannot trap: a result past `Int`'s range becomes `Int.max` (or `Int.min`).
///
/// Every number that enters (reports, requests, splitting parameters, catalog imports) is range-checked, so single
/// sums and products of them stay far inside `Int`; these are for what still could not — sums over an unbounded
/// number of files (block, dataset and summary totals) and products of several bounded factors (pile-up offsets).
public enum SaturatingArithmetic {
    /// `a + b`, saturated.
    public static func add(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? Int.max : Int.min) : sum
    }

    /// `a × b`, saturated.
    public static func multiply(_ a: Int, _ b: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? ((a < 0) == (b < 0) ? Int.max : Int.min) : product
    }

    /// `Int(value)` (rounded toward zero) saturated at `Int`'s bounds; NaN gives 0.
    public static func int(_ value: Double) -> Int {
        guard !value.isNaN else { return 0 }
        if value >= 0x1p63 { return Int.max }  // 2^63, the first Double past Int.max
        if value < -0x1p63 { return Int.min }
        return Int(value)
    }

    /// The saturated sum of `values`.
    public static func sum<S: Sequence>(_ values: S) -> Int where S.Element == Int {
        values.reduce(0, add)
    }
}
