import Foundation
import TestSupport
import Testing

/// Boundary rules of the package, checked by reading the sources (issue 18): a broken rule names the file and
/// the line.
@Suite struct ArchitectureTests {
    /// What touches the disk (or the operating system) in Swift source text.
    static let diskAccess = ["import Glibc", "FileManager", "FileHandle", "SystemCall", "Data(contentsOf", "String(contentsOfFile",
                             "contentsOfFile:", "fopen(", "Process()"]

    /// Lines of the Swift sources under `Sources/<module>/` holding any of `needles` (comments excluded).
    static func offences(module: String, needles: [String]) throws -> [String] {
        let root = TestSupport.packageRoot + "/Sources/" + module
        var found: [String] = []
        for file in (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).sorted() where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") { continue }
                for needle in needles where code.contains(needle) {
                    found.append("Sources/\(module)/\(file):\(number + 1): \(needle): \(code)")
                }
            }
        }
        return found
    }

    /// The domain touches no disk: WMCore, JobSplitting and DynamicJSON take bytes and values, never paths
    /// (configuration is decoded from bytes a program read; the spool belongs to SpoolKit and the stages).
    @Test(arguments: ["WMCore", "JobSplitting", "DynamicJSON"])
    func theDomainTouchesNoDisk(module: String) throws {
        let found = try Self.offences(module: module, needles: Self.diskAccess)
        #expect(found.isEmpty, "\(module) touches the disk:\n\(found.joined(separator: "\n"))")
    }

    /// The rule finds what it looks for (a rule that cannot fail proves nothing).
    @Test func theRuleSeesDiskAccessWhereItIs() throws {
        #expect(try !Self.offences(module: "SpoolKit", needles: Self.diskAccess).isEmpty)
    }
}
