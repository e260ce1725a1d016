import Foundation
import SpoolKit
import WMCore

/// The defaults a new spool gets from `wmagent init`, embedded so the programs work from anywhere.
/// Tests check every text here against the files in the project's `etc/`, byte for byte.
public enum EmbeddedDefaults {
    /// `etc/agent.json`.
    public static let agentJSON = #"""
{
  "agentName": "agent1",
  "team": "production",
  "errorHandler": {
    "maxRetries": {"default": 3, "Merge": 4, "Cleanup": 2, "LogCollect": 1, "Harvesting": 4},
    "noRetryExitCodes": [70, 73, 8001, 8006, 8009, 8023, 8026, 8501, 50660, 50661, 50664, 71102, 71104, 71105],
    "retryLimitPerExitCode": {},
    "passExitCodes": [],
    "maxFailTime": 115200,
    "readReport": true
  },
  "retryManager": {
    "taskTypes": {
      "default": {"algorithm": "Squared", "coolOffTime": {"create": 30, "submit": 30, "job": 30}}
    }
  }
}
"""# + "\n"

    /// `etc/t0.json`: the Tier-0 configuration (a small menu: a Bulk stream of three primary datasets and an Express
    /// stream of one); `wmagent run` drives the Tier-0 stages only for a spool that has one.
    public static let tier0JSON = #"""
{
  "acquisitionEra": "Run2026A",
  "menus": {
    "HLT_2026_v1": {
      "process": "HLT",
      "paths": ["HLT_Mu", "HLT_Ele", "HLT_Jet", "HLT_Express"],
      "streams": {
        "Physics": {"Muon": ["HLT_Mu"], "EGamma": ["HLT_Ele"], "JetMET": ["HLT_Jet", "HLT_Mu"]},
        "Express": {"ExpressPhysics": ["HLT_Express"]}
      }
    }
  },
  "streams": {
    "Physics": {"style": "Bulk"},
    "Express": {"style": "Express"}
  },
  "promptReco": {"delay": 172800, "offset": 1800, "enabled": true}
}
"""# + "\n"

    /// `etc/examples/configs/*.json`: the example task configurations (their MD5 is their config-cache id).
    public static let exampleConfigurations: [String: String] = [
        "Digi.json": #"""
{"outputModules": {"PREMIXRAWoutput": {"dataTier": "GEN-SIM-RAW", "filterName": ""}}, "description": "Stand-in configuration of a DIGI-RECO step 1"}
"""# + "\n",
        "GenSim.json": #"""
{"outputModules": {"RAWSIMoutput": {"dataTier": "GEN-SIM", "filterName": ""}}, "description": "Stand-in configuration of a GEN-SIM step"}
"""# + "\n",
        "Reco.json": #"""
{"outputModules": {"AODSIMoutput": {"dataTier": "AODSIM", "filterName": ""}, "DQMoutput": {"dataTier": "DQMIO", "filterName": ""}}, "description": "Stand-in configuration of a RECO step"}
"""# + "\n",
    ]

    /// `etc/examples/TaskChain_MC.json`: the demo request.
    public static let exampleRequest = #"""
{
    "createRequest": {
        "RequestType": "TaskChain",
        "Requestor": "demo",
        "Group": "DATAOPS",
        "RequestString": "TaskChain_MC_demo",
        "Campaign": "Demo2026",
        "CMSSWVersion": "CMSSW_14_0_0",
        "ScramArch": ["el9_amd64_gcc12"],
        "GlobalTag": "140X_mcRun3_2024_realistic_v1",
        "AcquisitionEra": "Demo2026",
        "ProcessingString": "demo",
        "ProcessingVersion": 1,
        "RequestPriority": 90000,
        "Memory": 2000,
        "TimePerEvent": 1,
        "SizePerEvent": 1,
        "FirstEvent": 1,
        "FirstLumi": 1,
        "TaskChain": 3,
        "Task1": {
            "TaskName": "GenSim",
            "ConfigCacheID": "c6389ca0848abaf26b1dc1ad8464efa7",
            "PrimaryDataset": "DemoMinBias",
            "RequestNumEvents": 2000,
            "EventsPerJob": 200,
            "EventsPerLumi": 100,
            "SplittingAlgo": "EventBased",
            "KeepOutput": true
        },
        "Task2": {
            "TaskName": "Digi",
            "ConfigCacheID": "432d39e08c847682712d6fbd35ffc88d",
            "InputTask": "GenSim",
            "InputFromOutputModule": "RAWSIMoutput",
            "SplittingAlgo": "EventAwareLumiBased",
            "EventsPerJob": 400,
            "KeepOutput": true
        },
        "Task3": {
            "TaskName": "Reco",
            "ConfigCacheID": "b68448e8b4720ea1ba2c6d14cf8f1a9c",
            "InputTask": "Digi",
            "InputFromOutputModule": "PREMIXRAWoutput",
            "SplittingAlgo": "EventAwareLumiBased",
            "EventsPerJob": 500,
            "KeepOutput": true
        }
    },
    "assignRequest": {
        "Team": "production",
        "SiteWhitelist": ["T2_CH_CERN", "T1_US_FNAL"],
        "SiteBlacklist": [],
        "AcquisitionEra": "Demo2026",
        "ProcessingString": "demo",
        "ProcessingVersion": 1,
        "MergedLFNBase": "/store/mc",
        "UnmergedLFNBase": "/store/unmerged"
    }
}
"""# + "\n"
}
