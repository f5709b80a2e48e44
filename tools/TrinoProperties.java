// Lists the configuration properties a Trino server distribution defines, read from its own jars.
//
// Run by tools/trino_property_catalogue.py with a JDK 24+ (single-file source launch):
//     java tools/TrinoProperties.java <trino-server-home>
// For lib/ (the server: config.properties and node.properties) and for each plugin/<name>/, it loads
// every class of io.trino or io.airlift that mentions airlift's @Config, @LegacyConfig or @DefunctConfig and prints one line per
// property, tab-separated:
//     <scope> <kind> <name> <java type or replacement> <declaring class>
// where scope is "server", "plugin:<name>" or "hadoop:<name>" (the jars of plugin/<name>/hdfs/: the legacy
// Hadoop file system, which Trino loads beside the plugin for a catalog with fs.hadoop.enabled=true) and kind is config | legacy | defunct. Each plugin also
// prints what it provides ("provides" <kind> <factory name>): connectors, exchange managers, event
// listeners, session property managers, resource group managers, access controls, authenticators.
// Classes that cannot be loaded are counted on stderr, never silently skipped.

import java.io.File;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

public class TrinoProperties {
    private static final String CONFIG = "io.airlift.configuration.Config";
    private static final String LEGACY = "io.airlift.configuration.LegacyConfig";
    private static final String DEFUNCT = "io.airlift.configuration.DefunctConfig";
    private static final byte[][] MARKERS = {
        "Lio/airlift/configuration/Config;".getBytes(StandardCharsets.UTF_8),
        "Lio/airlift/configuration/LegacyConfig;".getBytes(StandardCharsets.UTF_8),
        "Lio/airlift/configuration/DefunctConfig;".getBytes(StandardCharsets.UTF_8),
    };
    private static final String[][] PROVIDERS = {
        {"getConnectorFactories", "connector"},
        {"getExchangeManagerFactories", "exchange-manager"},
        {"getEventListenerFactories", "event-listener"},
        {"getSessionPropertyConfigurationManagerFactories", "session-property-config"},
        {"getResourceGroupConfigurationManagerFactories", "resource-groups"},
        {"getSystemAccessControlFactories", "access-control"},
        {"getPasswordAuthenticatorFactories", "password-authenticator"},
        {"getSpoolingManagerFactories", "spooling-manager"},
    };

    private static final TreeSet<String> out = new TreeSet<>();
    private static int unloadable;

    public static void main(String[] args) throws Exception {
        File home = new File(args[0]);
        URLClassLoader server = new URLClassLoader(urls(new File(home, "lib")), ClassLoader.getPlatformClassLoader());
        scan("server", new File(home, "lib"), server);
        File[] plugins = new File(home, "plugin").listFiles(File::isDirectory);
        Arrays.sort(plugins);
        for (File plugin : plugins) {
            URLClassLoader loader = new URLClassLoader(urls(plugin), server);
            String scope = "plugin:" + plugin.getName();
            scan(scope, plugin, loader);
            provides(scope, loader);
            // The legacy Hadoop file system's jars: a catalog loads them (in a class loader of their
            // own, beside the plugin's) only when it sets fs.hadoop.enabled=true.
            File hadoop = new File(plugin, "hdfs");
            if (hadoop.isDirectory()) {
                scan("hadoop:" + plugin.getName(), hadoop, new URLClassLoader(urls(hadoop), loader));
            }
        }
        for (String line : out) {
            System.out.println(line);
        }
        System.err.println("classes that could not be loaded: " + unloadable);
    }

    private static URL[] urls(File directory) throws Exception {
        File[] jars = directory.listFiles((dir, name) -> name.endsWith(".jar"));
        Arrays.sort(jars);
        URL[] urls = new URL[jars.length];
        for (int i = 0; i < jars.length; i++) {
            urls[i] = jars[i].toURI().toURL();
        }
        return urls;
    }

    private static void scan(String scope, File directory, ClassLoader loader) throws Exception {
        File[] jars = directory.listFiles((dir, name) -> name.endsWith(".jar"));
        Arrays.sort(jars);
        for (File jar : jars) {
            try (JarFile file = new JarFile(jar)) {
                Enumeration<JarEntry> entries = file.entries();
                while (entries.hasMoreElements()) {
                    JarEntry entry = entries.nextElement();
                    String name = entry.getName();
                    // airlift's annotations are used by Trino and airlift code only: other libraries
                    // (AWS SDK, Hadoop, drivers) are not read, which keeps the run short.
                    if (!name.endsWith(".class") || !(name.startsWith("io/trino/") || name.startsWith("io/airlift/"))) {
                        continue;
                    }
                    byte[] bytes;
                    try (InputStream in = file.getInputStream(entry)) {
                        bytes = in.readAllBytes();
                    }
                    if (!mentionsConfig(bytes)) {
                        continue;
                    }
                    String className = name.substring(0, name.length() - ".class".length()).replace('/', '.');
                    try {
                        describe(scope, Class.forName(className, false, loader));
                    }
                    catch (Throwable e) {
                        unloadable++;
                        System.err.println(scope + ": cannot load " + className + ": " + e);
                    }
                }
            }
        }
    }

    private static boolean mentionsConfig(byte[] bytes) {
        for (byte[] marker : MARKERS) {
            if (indexOf(bytes, marker) >= 0) {
                return true;
            }
        }
        return false;
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void describe(String scope, Class<?> type) throws Exception {
        for (Annotation annotation : type.getDeclaredAnnotations()) {
            if (annotation.annotationType().getName().equals(DEFUNCT)) {
                for (String name : (String[]) value(annotation, "value")) {
                    emit(scope, "defunct", name, "-", type.getName());
                }
            }
        }
        for (Method method : type.getDeclaredMethods()) {
            // A @LegacyConfig without replacedBy is an old name of the same setter's @Config.
            String current = "-";
            for (Annotation annotation : method.getDeclaredAnnotations()) {
                if (annotation.annotationType().getName().equals(CONFIG)) {
                    current = (String) value(annotation, "value");
                }
            }
            for (Annotation annotation : method.getDeclaredAnnotations()) {
                String kind = annotation.annotationType().getName();
                if (kind.equals(CONFIG)) {
                    Class<?>[] parameters = method.getParameterTypes();
                    String javaType = parameters.length == 1 ? parameters[0].getName() : "?";
                    emit(scope, "config", (String) value(annotation, "value"), javaType, type.getName());
                }
                else if (kind.equals(LEGACY)) {
                    String replacedBy = (String) value(annotation, "replacedBy");
                    for (String name : (String[]) value(annotation, "value")) {
                        emit(scope, "legacy", name, replacedBy.isEmpty() ? current : replacedBy, type.getName());
                    }
                }
            }
        }
    }

    private static Object value(Annotation annotation, String element) throws Exception {
        return annotation.annotationType().getMethod(element).invoke(annotation);
    }

    private static void emit(String scope, String kind, String name, String detail, String owner) {
        out.add(String.join("\t", scope, kind, name, detail, owner));
    }

    private static void provides(String scope, ClassLoader loader) {
        try {
            Class<?> spi = Class.forName("io.trino.spi.Plugin", false, loader);
            for (Object plugin : ServiceLoader.load(spi, loader)) {
                for (String[] provider : PROVIDERS) {
                    Method method = spi.getMethod(provider[0]);
                    for (Object factory : (Iterable<?>) method.invoke(plugin)) {
                        String name = (String) factory.getClass().getMethod("getName").invoke(factory);
                        emit(scope, "provides", provider[1], name, factory.getClass().getName());
                    }
                }
            }
        }
        catch (Throwable e) {
            System.err.println(scope + ": cannot list what the plugin provides: " + e);
        }
    }
}
