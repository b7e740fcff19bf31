package dev.finetune4j.util;

import java.io.IOException;
import java.net.InetAddress;

/** This machine's host name, looked up once (the lookup can be slow where DNS is broken); "localhost" when it fails. */
public final class Host {
    private Host() {}

    private static final class Name {
        static final String VALUE = lookup();

        private static String lookup() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                return "localhost";
            }
        }
    }

    public static String name() {
        return Name.VALUE;
    }
}
