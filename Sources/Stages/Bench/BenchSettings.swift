import Foundation

extension AgentBenchmark.Settings {
    /// Parses `wmagent bench` options: the settings and whether to print JSON.
    public static func parse(_ arguments: [String], usage: String) throws -> (AgentBenchmark.Settings, json: Bool) {
        var settings = AgentBenchmark.Settings()
        var json = false
        var rest = arguments[...]
        func count(_ flag: String) throws -> Int {
            guard let text = rest.popFirst(), let n = Int(text), n > 0 else { throw CommandFailure(.usage, "wmagent bench: \(flag) takes a positive count") }
            return n
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--jobs": settings.jobs = try count(flag)
            case "--batch": settings.batchSize = try count(flag)
            case "--raw-seconds": settings.rawSeconds = Double(try count(flag))
            case "--dir":
                guard let dir = rest.popFirst() else { throw CommandFailure(.usage, "wmagent bench: --dir takes a folder") }
                settings.directory = dir
            case "--warm-up": settings.warmUpJobs = try count(flag)
            case "--pipelined": settings.pipelined = true
            case "--keep": settings.keep = true
            case "--json": json = true
            default: throw CommandFailure(.usage, "wmagent bench: unknown option '\(flag)'\n" + usage)
            }
        }
        return (settings, json)
    }
}
