import Foundation
import Testing
@testable import JobSplitting

/// Issue 17: splitting parameters are range-checked where they are read, and the sums and products that could still
/// leave `Int` saturate instead of trapping.
@Suite struct NumberLimitTests {
    @Test func splittingParametersBeyondTheirRangeAreRefusedNamingTheParameter() throws {
        let parameters = SplitParameters(["events_per_job": .int(Int.max), "lumis_per_job": .int(Int.min), "ok": .int(5),
                                          "ratio": .double(.infinity), "big": .double(1e300),
                                          "performance": .object(["timePerEvent": .double(.nan)])])
        #expect(try parameters.int("ok", default: 0) == 5)
        for name in ["events_per_job", "lumis_per_job"] {
            #expect(throws: SplittingError.invalidParameter(name: name, expected: "an integer from -1000000000000000 to 1000000000000000",
                                                            found: String(try #require(parameters[name]?.coercedInt)))) {
                try parameters.int(name, default: 0)
            }
        }
        #expect(throws: SplittingError.self) { try parameters.double("ratio", default: 0) }
        #expect(throws: SplittingError.self) { try parameters.double("big", default: 0) }
        #expect(throws: SplittingError.self) { try parameters.performance() }
    }

    @Test func saturatingArithmeticNeverTraps() {
        #expect(SaturatingArithmetic.add(Int.max, 1) == Int.max)
        #expect(SaturatingArithmetic.add(Int.min, -1) == Int.min)
        #expect(SaturatingArithmetic.add(2, 3) == 5)
        #expect(SaturatingArithmetic.multiply(Int.max / 2, 3) == Int.max)
        #expect(SaturatingArithmetic.multiply(Int.max / 2, -3) == Int.min)
        #expect(SaturatingArithmetic.multiply(-4, -5) == 20)
        #expect(SaturatingArithmetic.sum([Int.max, Int.max, 1]) == Int.max)
        #expect(SaturatingArithmetic.int(1e300) == Int.max && SaturatingArithmetic.int(-1e300) == Int.min)
        #expect(SaturatingArithmetic.int(.nan) == 0 && SaturatingArithmetic.int(12.9) == 12)
    }
}
