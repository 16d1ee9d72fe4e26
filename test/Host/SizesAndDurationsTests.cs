using PageReportingActors.Host.Scenarios;
using Xunit;

namespace PageReportingActors.Tests.Host;

public class SizesAndDurationsTests
{
    [Theory]
    [InlineData("0B", 0L)]
    [InlineData("4096B", 4096L)]
    [InlineData("1KiB", 1024L)]
    [InlineData("512MiB", 536870912L)]
    [InlineData("1GiB", 1073741824L)]
    [InlineData("1.5GiB", 1610612736L)]
    [InlineData("64GiB", 68719476736L)]
    [InlineData("0.5KiB", 512L)]
    [InlineData(" 2 MiB ", 2097152L)]
    public void Parses_sizes(string text, long bytes)
    {
        Assert.True(Sizes.TryParse(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("12XB")]
    [InlineData("512")]
    [InlineData("MiB")]
    [InlineData("-1MiB")]
    [InlineData("1e3B")]
    [InlineData("0.3KiB")] // 307.2 bytes
    [InlineData("1.5B")]
    [InlineData("1,5GiB")]
    [InlineData("1.GiB")]
    [InlineData("512mib")]
    [InlineData("1TiB")]
    [InlineData("")]
    [InlineData("99999999999999999999GiB")]
    public void Rejects_what_is_not_a_size(string text) => Assert.False(Sizes.TryParse(text, out _));

    [Theory]
    [InlineData("0s", 0L)]
    [InlineData("250ms", 2_500_000L)]
    [InlineData("2s", 20_000_000L)]
    [InlineData("2.0005s", 20_005_000L)]
    [InlineData("1.5ms", 15_000L)]
    [InlineData("10min", 6_000_000_000L)]
    [InlineData("0.5min", 300_000_000L)]
    public void Parses_durations(string text, long ticks)
    {
        Assert.True(Durations.TryParse(text, out var parsed));
        Assert.Equal(TimeSpan.FromTicks(ticks), parsed);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("2")]
    [InlineData("2h")]
    [InlineData("-1s")]
    [InlineData("2 sec")]
    [InlineData("0.00000001s")] // finer than a tick
    [InlineData("")]
    public void Rejects_what_is_not_a_duration(string text) => Assert.False(Durations.TryParse(text, out _));

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(2_500_000L, "250ms")]
    [InlineData(100_000_000L, "10s")]
    [InlineData(20_005_000L, "2.0005s")]
    [InlineData(15_000_000L, "1.5s")]
    [InlineData(6_000_000_000L, "10min")]
    [InlineData(6_100_000_000L, "610s")]
    public void Formats_durations_in_scenario_syntax(long ticks, string text)
    {
        Assert.Equal(text, Durations.Format(TimeSpan.FromTicks(ticks)));
        Assert.Equal(TimeSpan.FromTicks(ticks), Durations.Parse(text));
    }

    [Theory]
    [InlineData(536870912L, "512MiB")]
    [InlineData(1610612736L, "1536MiB")]
    [InlineData(4096L, "4KiB")]
    [InlineData(100L, "100B")]
    [InlineData(0L, "0B")]
    public void Formats_sizes_in_scenario_syntax(long bytes, string text)
    {
        Assert.Equal(text, Sizes.Format(bytes));
        Assert.Equal(bytes, Sizes.Parse(text));
    }
}
