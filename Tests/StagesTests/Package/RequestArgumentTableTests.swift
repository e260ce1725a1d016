import Foundation
import TestSupport
import Testing
import WMCore

/// `docs/request-arguments.md` lists every argument the validator accepts, where, and what the system does with it
/// (issue 19's rule). These tests keep the table and the spec lists (`RequestSpecs`) from drifting apart.
@Suite struct RequestArgumentTableTests {
    /// One row of the table.
    struct Row: Equatable {
        var argument: String
        var places: Set<String>
        var effect: String
        var status: String
    }

    /// The statuses a row may have.
    static let statuses: Set<String> = ["honoured", "partly honoured", "validated only", "recorded", "refused unless default", "refused"]

    /// The rows of the table: lines `| `Name` | places | text | status |`.
    static func rows() throws -> [Row] {
        let text = try String(contentsOfFile: TestSupport.packageRoot + "/docs/request-arguments.md", encoding: .utf8)
        return text.split(separator: "\n").filter { $0.hasPrefix("| `") }.map { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) }
            let argument = cells.first?.trimmingCharacters(in: CharacterSet(charactersIn: "`")) ?? ""
            let places = cells.count > 1 ? Set(cells[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) : []
            return Row(argument: argument, places: places, effect: cells.count > 2 ? cells[2] : "",
                       status: cells.count > 3 ? cells[3] : "")
        }
    }

    /// Where the validator accepts each argument: `request` (create arguments of any request type), `task`
    /// (a TaskChain item), `step` (a StepChain item), `assignment`.
    static func acceptedPlaces() -> [String: Set<String>] {
        var places: [String: Set<String>] = [:]
        func add(_ specs: [ArgumentSpec], _ place: String) {
            for spec in specs { places[spec.name, default: []].insert(place) }
        }
        for type in RequestType.allCases { add(RequestSpecs.create(type), "request") }
        add(RequestSpecs.chainItem(.taskChain), "task")
        add(RequestSpecs.chainItem(.stepChain), "step")
        add(RequestSpecs.assign, "assignment")
        return places
    }

    @Test func everyAcceptedArgumentHasARowAndEveryRowAnAcceptedArgument() throws {
        let listed = Set(try Self.rows().map(\.argument))
        let accepted = Set(Self.acceptedPlaces().keys)
        #expect(accepted.subtracting(listed).sorted() == [], "accepted by the validator, missing from docs/request-arguments.md")
        #expect(listed.subtracting(accepted).sorted() == [], "listed in docs/request-arguments.md, unknown to the validator")
    }

    @Test func eachArgumentHasOneRowNamingWhereTheValidatorAcceptsIt() throws {
        let rows = try Self.rows()
        let accepted = Self.acceptedPlaces()
        let names = rows.map(\.argument)
        #expect(Set(names).count == names.count, "duplicate rows: \(names.filter { n in names.filter { $0 == n }.count > 1 })")
        #expect(names == names.sorted(), "rows are sorted by argument name")
        for row in rows {
            guard let places = accepted[row.argument] else { continue }
            #expect(row.places == places, "\(row.argument): the table says \(row.places.sorted()), the validator accepts it in \(places.sorted())")
        }
    }

    @Test func eachRowHasAStatusAndSaysWhatHappens() throws {
        for row in try Self.rows() {
            #expect(Self.statuses.contains(row.status), "\(row.argument): status '\(row.status)', expected one of \(Self.statuses.sorted())")
            #expect(!row.effect.isEmpty, "\(row.argument): no text saying what the system does with it")
        }
    }

    /// The arguments whose spec refuses every value but WMCore's default (`ArgumentSpec.unsupported`).
    static func refusedUnlessDefault() -> Set<String> {
        var specs = RequestSpecs.assign + RequestSpecs.chainItem(.taskChain) + RequestSpecs.chainItem(.stepChain)
        for type in RequestType.allCases { specs += RequestSpecs.create(type) }
        return Set(specs.filter { $0.unsupported != nil }.map(\.name))
    }

    @Test func refusedUnlessDefaultRowsAreTheArgumentsTheValidatorRefuses() throws {
        let rows = try Self.rows()
        let listed = Set(rows.filter { $0.status == "refused unless default" }.map(\.argument))
        #expect(listed == Self.refusedUnlessDefault(), "rows 'refused unless default' vs specs with an UnsupportedArgument")
    }

    @Test func recordedRowsAreTheArgumentsWmctlShowsAsRecorded() throws {
        let rows = try Self.rows()
        let listed = Set(rows.filter { $0.status == "recorded" }.map(\.argument))
        #expect(listed == Set(RequestSpecs.recordedOnly), "rows 'recorded' vs RequestSpecs.recordedOnly")
    }
}
