import Foundation
import Testing
@testable import FrameworkJobReport

/// The ASCII fast path of `Trimming` gives exactly what Foundation's trimming gives.
@Suite struct TrimmingTests {
    static let samples = [
        "", " ", "\n\t \r\n", "plain", " padded ", "\tx\t", "\nline\n", "a b", "\u{0B}vt\u{0C}", "\u{A0}nbsp\u{A0}",
        "\u{85}nel\u{85}", "\u{2028}ls \u{3000}", " é ", "é", "😀 ", "\u{0B}", "x\u{0B}", " \u{A0} ", "1.5 ", " 42",
    ]

    @Test(arguments: samples)
    func trimmingMatchesFoundation(text: String) {
        #expect(Trimming.trimmed(text, .whitespaces) == text.trimmingCharacters(in: .whitespaces))
        #expect(Trimming.trimmed(text, .whitespacesAndNewlines) == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
