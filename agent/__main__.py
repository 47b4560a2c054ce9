from netagent.agent.cli.main import main

main()
