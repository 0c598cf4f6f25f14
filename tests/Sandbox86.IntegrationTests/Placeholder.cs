namespace Sandbox86.IntegrationTests; internal static class Placeholder { }
