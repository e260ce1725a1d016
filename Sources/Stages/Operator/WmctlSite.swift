import Foundation
import SpoolKit
import WMCore

/// `wmctl site ls|set-state|set-slots`: the operator's view of ResourceControl.
enum WmctlSite {
    static let usage = "usage: wmctl site ls [--json] | site set-state SITE Normal|Draining|Down|Aborted | site set-slots SITE PENDING RUNNING [TASKTYPE]"

    static func run(_ args: [String], spool: Spool, json: Bool, output: Wmctl.Output) throws {
        var configuration = try ExecutionLayout.siteConfiguration(spool: spool)
        func index(of name: String) throws -> Int {
            guard let i = configuration.sites.firstIndex(where: { $0.name == name }) else {
                throw CommandFailure(.noInput, "wmctl: " + SiteConfigurationError.unknownSite(name: name, known: configuration.sites.map(\.name)).description)
            }
            return i
        }
        switch args.first {
        case "ls" where args.count == 1:
            if json { output.line(try Wmctl.jsonString(configuration.sites)); return }
            for site in configuration.sites {
                output.line("\(site.name) \(site.state.rawValue) pending=\(site.slots.pendingSlots) running=\(site.slots.runningSlots) "
                            + "plugin=\(site.compute.plugin) pnn=\(site.storageElement)")
            }
        case "set-state" where args.count == 3:
            let i = try index(of: args[1])
            let state: SiteState
            do { state = try SiteState(parsing: args[2]) } catch { throw CommandFailure(.usage, "wmctl: \(error)") }
            configuration.sites[i].state = state
            configuration.sites[i].stateTime = SystemCall.now()
            try ExecutionLayout.saveSiteConfiguration(configuration, spool: spool)
            output.line("\(args[1]): \(state.rawValue)")
            if state != .normal {
                let killed = try killJobsBoundTo(configuration.sites[i], configuration: configuration, spool: spool)
                output.line("killed \(killed) pending job(s) whose only site is \(args[1]) (code \(AgentExitCode.siteStateKill(state)))")
            }
        case "set-slots" where args.count == 4 || args.count == 5:
            let i = try index(of: args[1])
            guard let pending = Int(args[2]), let running = Int(args[3]), pending >= 0, running >= 0 else {
                throw CommandFailure(.usage, "wmctl: PENDING and RUNNING are counts >= 0, got '\(args[2])' '\(args[3])'")
            }
            let limits = SlotLimits(pendingSlots: pending, runningSlots: running)
            if args.count == 5 { configuration.sites[i].taskSlots[args[4]] = limits } else { configuration.sites[i].slots = limits }
            try ExecutionLayout.saveSiteConfiguration(configuration, spool: spool)
            output.line("\(args[1])\(args.count == 5 ? " " + args[4] : ""): pending=\(pending) running=\(running)")
        default:
            throw CommandFailure(.usage, usage)
        }
    }

    /// changeSiteState: jobs pending at `site` whose only possible site it is are killed and failed
    /// with 71301 (Aborted), 71302 (Draining) or 71303 (Down). Returns how many.
    static func killJobsBoundTo(_ site: Site, configuration: SiteConfiguration, spool: Spool) throws -> Int {
        let area = DocumentArea<JobBody>(spool: spool, area: "jobs", schemaVersion: jobSchemaVersion)
        let plugins = BatchPlugins(spool: spool, configuration: configuration)
        var options = StageOptions()
        options.spoolPath = spool.root
        let context = StageContext(spool: spool, options: options, log: Logger(component: "wmctl"))
        let code = AgentExitCode.siteStateKill(site.state)
        let report = try TransitionPass(area: area, actor: "operator").run(.executing, batchSize: 500, context: context) { doc in
            guard doc.site == site.name, doc.batchStatus == "Pending", Set(doc.possibleSites) == [site.name], let id = doc.batchID else { return false }
            try plugins.plugin(for: site.name).kill([id])
            doc.exitCodes.append(code)
            try doc.transition(to: .jobfailed, actor: "operator", reason: "\(code): site \(site.name) set to \(site.state.rawValue), its only site", at: context.now())
            return true
        }
        return report.done
    }
}
