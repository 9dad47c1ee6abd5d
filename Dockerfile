# Multi-stage build: the SDK image builds and publishes; two ASP.NET runtime images run the gateway and the sample
# upstream, as the non-root user "app" the .NET images provide. Not built on the machine this was written on (no
# Docker engine there): docker-compose.yml is validated by the test suite instead (tests/.../Deployment).
#   docker build --target gateway -t edge-gateway .
#   docker build --target upstream -t edge-gateway-upstream .

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first: the restore layer is reused until a dependency changes.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY gateway/Gateway.csproj gateway/
COPY loadtests/SampleUpstream/SampleUpstream.csproj loadtests/SampleUpstream/
RUN dotnet restore gateway/Gateway.csproj && dotnet restore loadtests/SampleUpstream/SampleUpstream.csproj
COPY gateway/ gateway/
COPY loadtests/SampleUpstream/ loadtests/SampleUpstream/
RUN dotnet publish gateway/Gateway.csproj -c Release --no-restore -o /app/gateway \
 && dotnet publish loadtests/SampleUpstream/SampleUpstream.csproj -c Release --no-restore -o /app/upstream

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS gateway
WORKDIR /app
COPY --from=build /app/gateway ./
# The limits live here; docker-compose mounts the repository's folder over it so edits need no rebuild.
COPY appsettings/ /app/appsettings/
# Unprefixed: environment variables win over appsettings.json's "Urls" (ASPNETCORE_URLS would not).
ENV URLS=http://+:8080 \
    Gateway__AppSettingsDirectory=/app/appsettings \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
USER app
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=4s --start-period=10s --retries=3 CMD ["dotnet", "Gateway.dll", "healthcheck", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["dotnet", "Gateway.dll"]

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS upstream
WORKDIR /app
COPY --from=build /app/upstream ./
USER app
EXPOSE 5001
ENTRYPOINT ["dotnet", "SampleUpstream.dll", "--urls", "http://+:5001"]
